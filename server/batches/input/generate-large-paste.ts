/**
 * Builds a realistic tab-separated paste of `rows` data rows (plus a header) for the size test
 * and the measurement script: three images per product and CDN-like URL lengths (~100 bytes per row).
 */
export function generateLargePaste(rows: number): string {
  const lines = ["Product Number\tImage Src"];
  for (let index = 0; index < rows; index++) {
    const product = `SKU-${String(Math.floor(index / 3)).padStart(7, "0")}`;
    lines.push(
      `${product}\thttps://cdn.example.com/catalogue/2024/products/${product}/images/photo-${index % 3}-large.jpg?v=1`,
    );
  }
  return lines.join("\r\n") + "\r\n";
}
