/**
 * A table of `rows` orders uploaded as a CSV, as a user's upload is read: ids 1.., four regions,
 * amounts, units, March dates and a yes/no column, so every column type is pushed.
 */
export async function uploadOrdersTable(rows: number, createdById: string): Promise<string> {
  const { receiveTableUpload } = await import("@/server/services/tables/receive-upload");
  const lines = ["order_id,region,amount,units,ordered,paid"];
  for (let i = 1; i <= rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, "0");
    lines.push(
      `${i},${["North", "South", "East", "West"][i % 4]},${(i * 1.25).toFixed(2)},${i % 7},2026-03-${day},${i % 3 === 0}`,
    );
  }
  const csv = lines.join("\n");
  const table = await receiveTableUpload({
    body: new Blob([csv]).stream(),
    contentLength: Buffer.byteLength(csv),
    query: new URLSearchParams({ fileName: "orders.csv" }),
    createdById,
  });
  return table.id;
}
