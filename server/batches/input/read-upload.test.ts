import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { makeZip } from "@/test-support/zip";
import { analyzeBatchInput } from "./analyze-batch-input";
import { decodeInputBytes, WINDOWS_1252_NOTE } from "./decode-input-bytes";
import { readUploadBytes } from "./read-upload";

const LIST = "Product Number,Image Src\nSKU-1,https://cdn.example.com/1.jpg\n";
const OTHER_LIST = "SKU-2\thttps://cdn.example.com/2.jpg\n";

/** Rewrites one central-directory field of the entry `name` (offsets as in APPNOTE 4.3.12). */
function patchCentral(zip: Buffer, name: string, offset: number, value: number): Buffer {
  const patched = Buffer.from(zip);
  for (let at = patched.length - 22; at >= 0; at--) {
    if (patched.readUInt32LE(at) !== 0x02014b50) continue;
    const length = patched.readUInt16LE(at + 28);
    if (patched.toString("utf8", at + 46, at + 46 + length) !== name) continue;
    if (offset === 8 || offset === 10) patched.writeUInt16LE(value, at + offset);
    else patched.writeUInt32LE(value, at + offset);
    return patched;
  }
  throw new Error(`no central entry ${name}`);
}

async function refusalOf(bytes: Uint8Array, options = {}): Promise<string | null> {
  return (await readUploadBytes(bytes, options)).refusal;
}

describe("readUploadBytes: a ZIP", () => {
  it("reads the one spreadsheet inside as the file itself would be read, and says which", async () => {
    const read = await readUploadBytes(makeZip({ "images.csv": LIST }));
    expect(read).toMatchObject({
      text: LIST,
      encoding: "utf-8",
      note: "Read “images.csv” from the ZIP.",
      archive: { entries: [{ name: "images.csv", bytes: LIST.length }], chosen: "images.csv" },
    });
    expect(analyzeBatchInput(read.text!, { source: "csv" }).totals.images).toBe(1);
  });

  it("skips macOS's __MACOSX/ and dot files, pictures and folders of a zipped folder", async () => {
    const read = await readUploadBytes(
      makeZip({
        "Export/images.csv": LIST,
        "__MACOSX/Export/._images.csv": "\u0000\u0005\u0016\u0007 resource fork",
        "Export/.DS_Store": "Bud1",
        "Export/.hidden.csv": "SKU-9,https://x/9.jpg\n",
        "Export/photos/a.jpg": new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
      }),
    );
    expect(read.refusal).toBeNull();
    expect(read.archive).toEqual({
      entries: [{ name: "Export/images.csv", bytes: LIST.length }],
      chosen: "Export/images.csv",
    });
    expect(read.text).toBe(LIST);
  });

  it("reads a Windows-1252 CSV inside with the same decoder, and keeps its note", async () => {
    const csv = Buffer.concat([
      Buffer.from("SKU;Image\r\n"),
      Buffer.from([0xc4]),
      Buffer.from("-1;https://x/caf"),
      Buffer.from([0xe9]),
      Buffer.from(".jpg\r\n"),
    ]);
    const read = await readUploadBytes(makeZip({ "excel.csv": csv }));
    expect(read.text).toBe(decodeInputBytes(csv).text);
    expect(read.text).toContain("Ä-1;https://x/café.jpg");
    expect(read.note).toBe(`Read “excel.csv” from the ZIP. ${WINDOWS_1252_NOTE}`);
  });

  it("with several spreadsheets reads the image list, names the others, and reads the one asked for", async () => {
    const zip = makeZip({
      "a-readme.txt": "Images for the spring catalogue, sent by Anna.\n",
      "b-prices.csv": "Product,Price\nSKU-1,9.90\n",
      "c-images.tsv": OTHER_LIST,
      "d-images.csv": LIST,
    });
    const read = await readUploadBytes(zip);
    expect(read.archive?.chosen).toBe("c-images.tsv");
    expect(read.archive?.entries.map((entry) => entry.name)).toEqual([
      "a-readme.txt",
      "b-prices.csv",
      "c-images.tsv",
      "d-images.csv",
    ]);
    expect(read.text).toBe(OTHER_LIST);
    expect(read.note).toBe(
      "Read “c-images.tsv” of the 4 spreadsheets in the ZIP (the others: “a-readme.txt”, “b-prices.csv”, “d-images.csv”).",
    );
    const asked = await readUploadBytes(zip, { entry: "d-images.csv" });
    expect(asked).toMatchObject({ text: LIST, archive: { chosen: "d-images.csv" } });
    expect(await refusalOf(zip, { entry: "e.csv" })).toBe(
      "The ZIP holds no spreadsheet named “e.csv”; it holds “a-readme.txt”, “b-prices.csv”, “c-images.tsv”, “d-images.csv”.",
    );
  });

  it("says a ZIP holds no spreadsheet", async () => {
    expect(await refusalOf(makeZip({ "photo.jpg": new Uint8Array([0xff, 0xd8, 0xff]) }))).toBe(
      "The ZIP holds no spreadsheet (a .csv, .tsv or .txt file). Put the CSV file in the ZIP, or upload it directly.",
    );
    // an empty archive is its end record alone
    const empty = await new JSZip().generateAsync({ type: "uint8array" });
    expect(await refusalOf(empty)).toMatch(/^The ZIP holds no spreadsheet/);
  });

  it("refuses a workbook inside with the direct upload's sentence, naming it", async () => {
    const workbook = new JSZip();
    workbook.file("[Content_Types].xml", "<Types/>");
    workbook.file("xl/workbook.xml", "<workbook/>");
    const xlsx = await workbook.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    expect(await refusalOf(makeZip({ "products.xlsx": xlsx }))).toMatch(
      /^“products\.xlsx” in the ZIP cannot be read\. This file is an Excel workbook \(\.xlsx\), not a CSV file\. In the spreadsheet choose File › Save As/,
    );
    // the workbook itself is a ZIP too, and keeps its own sentence
    expect(await refusalOf(xlsx)).toMatch(/^This file is an Excel workbook \(\.xlsx\)/);
    // beside a CSV, the CSV is read
    const both = await readUploadBytes(makeZip({ "a.xlsx": xlsx, "b.csv": LIST }));
    expect(both.archive?.chosen).toBe("b.csv");
  });

  it("refuses a password-protected ZIP", async () => {
    const zip = makeZip({ "images.csv": LIST }, ["-P", "secret"]);
    expect(await refusalOf(zip)).toBe(
      "The ZIP is password-protected (“images.csv” is encrypted), so it cannot be read. Make the ZIP without a password, or upload the CSV file itself.",
    );
  });

  it("refuses a ZIP bomb by the sizes it declares, before inflating", async () => {
    // 70 MB of one character compress about a thousand times
    const zip = makeZip({ "images.csv": "0".repeat(70 << 20) });
    expect(zip.length).toBeLessThan(1 << 20);
    expect(await refusalOf(zip)).toBe(
      "The spreadsheets in the ZIP unpack to more than 64 MB, more than an upload may hold. Split the list into smaller files.",
    );
    // the cap counts all of them together
    const two = makeZip({ "a.csv": "1".repeat(600), "b.csv": "2".repeat(600) });
    expect(await refusalOf(two, { maxUnpackedBytes: 1000 })).toMatch(/unpack to more than/);
    expect(await refusalOf(two, { maxUnpackedBytes: 1200 })).toBeNull();
    // writing and zipping 70 MB takes seconds on a busy machine; the refusal itself does not
  }, 30_000);

  it("stops a bomb whose directory lies about its size once the real bytes pass it", async () => {
    const zip = makeZip({ "images.csv": "0".repeat(20 << 20) });
    // the directory now says 1,000 bytes, well under the cap; the data still inflates to 20 MB
    const lying = patchCentral(zip, "images.csv", 24, 1000);
    expect(await refusalOf(lying)).toBe(
      "The ZIP file is damaged: “images.csv” unpacks to more than it declares. Zip the spreadsheet again, or upload the CSV file itself.",
    );
  }, 30_000);

  it("refuses a ZIP of too many entries by its count", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`img-${i}.jpg`, "x"] as const),
    );
    expect(await refusalOf(makeZip({ ...files, "images.csv": LIST }), { maxEntries: 10 })).toBe(
      "The ZIP holds 13 files, more than the 10 a ZIP may hold here. Zip only the spreadsheet, or upload the CSV file itself.",
    );
  });

  it("refuses a damaged ZIP: cut short, its data garbled, its checksum wrong", async () => {
    const zip = makeZip({ "images.csv": LIST.repeat(50) });
    expect(await refusalOf(zip.subarray(0, zip.length - 30))).toBe(
      "The ZIP file is damaged and cannot be read: its end record is missing (is it cut short?). Zip the spreadsheet again, or upload the CSV file itself.",
    );
    // the deflated data starts after the 30-byte local header and the name
    const garbled = Buffer.from(zip);
    for (let at = 30 + "images.csv".length; at < 30 + "images.csv".length + 40; at++)
      garbled[at] = garbled[at]! ^ 0x5a;
    expect(await refusalOf(garbled)).toMatch(
      /^The ZIP file is damaged: “images\.csv” (cannot be unpacked|does not match its checksum|unpacks to more than it declares)\. Zip the spreadsheet again/,
    );
    const stored = makeZip({ "images.csv": LIST }, ["-0"]);
    const flipped = Buffer.from(stored);
    const at = 30 + "images.csv".length + 3;
    flipped[at] = flipped[at]! ^ 0x01;
    expect(await refusalOf(flipped)).toBe(
      "The ZIP file is damaged: “images.csv” does not match its checksum. Zip the spreadsheet again, or upload the CSV file itself.",
    );
    expect(await refusalOf(Buffer.from("PK\u0003\u0004 and then nothing"))).toMatch(
      /^The ZIP file is damaged and cannot be read/,
    );
  });

  it("refuses an entry compressed in a way JSZip cannot inflate", async () => {
    const zip = patchCentral(makeZip({ "images.csv": LIST.repeat(20) }), "images.csv", 10, 14);
    expect(await refusalOf(zip)).toMatch(
      /^“images\.csv” in the ZIP is compressed in a way that cannot be read here \(method 14\)/,
    );
  });
});

describe("readUploadBytes: anything else", () => {
  it("reads text as decodeInputBytes does, and refuses an entry name for a file that is no ZIP", async () => {
    const bytes = new TextEncoder().encode(LIST);
    expect(await readUploadBytes(bytes)).toEqual({ ...decodeInputBytes(bytes), archive: null });
    expect(await refusalOf(bytes, { entry: "images.csv" })).toBe(
      "“images.csv” names a file inside a ZIP, but this upload is not a ZIP.",
    );
  });
});
