import { describe, expect, it } from "vitest";

import {
  createProductFolderNamer,
  imageFileName,
  MAX_FILE_NAME_BYTES,
  productFolderName,
  toSafeFileName,
} from "./file-names";

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");
// Lone surrogates do not survive a UTF-8 round trip, so this catches split emoji.
const isWellFormed = (text: string) => Buffer.from(text, "utf8").toString("utf8") === text;

function expectPortable(name: string) {
  expect(name).not.toMatch(/[/\\<>:"|?*\u0000-\u001f\u007f]/);
  expect(name).not.toMatch(/^[.\s]/);
  expect(name).not.toMatch(/[.\s]$/);
  expect(name).not.toBe("");
  expect(byteLength(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
}

describe("toSafeFileName", () => {
  it.each([
    ["../../etc/passwd", "_.._etc_passwd"],
    ["..\\..\\windows\\win.ini", "_.._windows_win.ini"],
    ["/absolute/path.jpg", "_absolute_path.jpg"],
    ["a/b\\c", "a_b_c"],
    ["nul\u0000byte.jpg", "nul_byte.jpg"],
    ["line\nbreak\ttab.jpg", "line_break_tab.jpg"],
    ["del\u007fchar", "del_char"],
    ['a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h"],
    [".bashrc", "bashrc"],
    ["...hidden.txt", "hidden.txt"],
    ["  padded name.png  ", "padded name.png"],
    ["trailing dots...", "trailing dots"],
    ["SKU-1_ok", "SKU-1_ok"],
  ])("makes %j safe as %j", (input, expected) => {
    const result = toSafeFileName(input, "fallback");
    expect(result).toBe(expected);
    expectPortable(result);
  });

  it.each(["", "   ", ".", "..", "...", " . . ", "\u202e"])("uses the fallback for %j", (input) => {
    expect(toSafeFileName(input, "fallback.jpg")).toBe("fallback.jpg");
  });

  it("sanitises the fallback too, and has a last resort when both are empty", () => {
    expect(toSafeFileName("..", "../evil")).toBe("_evil");
    expect(toSafeFileName("", "")).toBe("file");
  });

  it.each([
    ["CON", "_CON"],
    ["con", "_con"],
    ["PRN.txt", "_PRN.txt"],
    ["aux.tar.gz", "_aux.tar.gz"],
    ["NUL ", "_NUL"],
    ["Com1.jpg", "_Com1.jpg"],
    ["LPT9", "_LPT9"],
    ["COM0", "_COM0"],
    ["lpt0.jpg", "_lpt0.jpg"],
    ["COM¹", "_COM¹"],
  ])("prefixes the Windows-reserved name %j", (input, expected) => {
    expect(toSafeFileName(input, "fallback")).toBe(expected);
  });

  it.each(["CONSOLE", "COM10", "LPT00.jpg", "icon.png", "my-con.txt"])(
    "leaves the non-reserved name %j alone",
    (input) => {
      expect(toSafeFileName(input, "fallback")).toBe(input);
    },
  );

  it("trims long names to the byte limit and keeps the extension", () => {
    const result = toSafeFileName(`${"a".repeat(300)}.jpeg`, "fallback");
    expect(result).toBe(`${"a".repeat(MAX_FILE_NAME_BYTES - 5)}.jpeg`);
    expectPortable(result);
  });

  it("counts bytes, not characters, and never splits a character", () => {
    const result = toSafeFileName(`${"é".repeat(200)}.png`, "fallback");
    expect(result.endsWith(".png")).toBe(true);
    expect(byteLength(result)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(byteLength(result)).toBeGreaterThan(MAX_FILE_NAME_BYTES - 2);
    expect(isWellFormed(result)).toBe(true);
  });

  it("never splits an emoji grapheme", () => {
    const thumbsUp = "👍🏽";
    const result = toSafeFileName(thumbsUp.repeat(40), "fallback", { maxBytes: 20 });
    expect(result).toBe(thumbsUp.repeat(2));
    expect(isWellFormed(result)).toBe(true);
  });

  it("does not treat a long dotted tail as an extension worth keeping", () => {
    const result = toSafeFileName(`name.${"x".repeat(200)}`, "fallback", { maxBytes: 20 });
    expect(result).toBe(`name.${"x".repeat(15)}`);
  });

  it("does not leave a trailing dot or space where it cut", () => {
    expect(toSafeFileName("abcd. efgh.jpg", "fallback", { maxBytes: 10 })).toBe("abcd.jpg");
  });

  it("rejects a nonsensical byte limit", () => {
    expect(() => toSafeFileName("a", "b", { maxBytes: 2 })).toThrow(RangeError);
  });

  it("normalises to NFC so visually equal names are byte-equal", () => {
    const decomposed = "Cafe\u0301.jpg";
    expect(toSafeFileName(decomposed, "fallback")).toBe("Caf\u00e9.jpg");
  });

  it("keeps ordinary unicode and drops bidi overrides that disguise extensions", () => {
    expect(toSafeFileName("商品 写真.jpg", "fallback")).toBe("商品 写真.jpg");
    expect(toSafeFileName("photo\u202egpj.exe", "fallback")).toBe("photogpj.exe");
  });
});

describe("imageFileName", () => {
  it.each([
    [1, "SKU-1_001.jpg"],
    [42, "SKU-1_042.jpg"],
    [999, "SKU-1_999.jpg"],
    [1000, "SKU-1_1000.jpg"],
    [123456, "SKU-1_123456.jpg"],
  ])("pads position %i", (position, expected) => {
    expect(imageFileName({ productNumber: "SKU-1", position, extension: "jpg" })).toBe(expected);
  });

  it.each([
    [".JPG", "P_001.jpg"],
    ["webp", "P_001.webp"],
    ["", "P_001.bin"],
    ["../x", "P_001.x"],
    ["j p/g", "P_001.jpg"],
  ])("normalises the extension %j", (extension, expected) => {
    expect(imageFileName({ productNumber: "P", position: 1, extension })).toBe(expected);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects position %d", (position) => {
    expect(() => imageFileName({ productNumber: "P", position, extension: "jpg" })).toThrow(
      RangeError,
    );
  });

  it("sanitises the product part and never cuts off the position", () => {
    expect(imageFileName({ productNumber: "../CON", position: 7, extension: "png" })).toBe(
      "_CON_007.png",
    );
    const long = imageFileName({ productNumber: "x".repeat(400), position: 12, extension: "png" });
    expect(long.endsWith("_012.png")).toBe(true);
    expect(byteLength(long)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
  });
});

describe("productFolderName", () => {
  it("keeps validated product numbers and still neutralises hostile ones", () => {
    expect(productFolderName("SKU_9-a")).toBe("SKU_9-a");
    expect(productFolderName("..")).toBe("product");
    expect(productFolderName("aux")).toBe("_aux");
  });
});

describe("createProductFolderNamer", () => {
  it("keeps product numbers that differ only in case in folders of their own", () => {
    const folderFor = createProductFolderNamer();
    expect(folderFor("SKU-1")).toBe("SKU-1");
    expect(folderFor("sku-1")).toBe("sku-1 (2)");
    expect(folderFor("Sku-1")).toBe("Sku-1 (3)");
    expect(folderFor("SKU-2")).toBe("SKU-2");
    // the same product always gets the same folder
    expect(folderFor("sku-1")).toBe("sku-1 (2)");
    expect(folderFor("SKU-1")).toBe("SKU-1");
  });

  it("keeps non-ASCII case pairs apart, as Windows and macOS compare names", () => {
    const folderFor = createProductFolderNamer();
    expect(folderFor("ÄÖÜ-1")).toBe("ÄÖÜ-1");
    expect(folderFor("äöü-1")).toBe("äöü-1 (2)");
    // NTFS upper-cases both sigmas to Σ; APFS folds ẞ to ß
    expect(folderFor("ΑΣ")).toBe("ΑΣ");
    expect(folderFor("ας")).toBe("ας (2)");
    expect(folderFor("ασ")).toBe("ασ (3)");
    expect(folderFor("STRAẞE")).toBe("STRAẞE");
    expect(folderFor("straße")).toBe("straße (2)");
    expect(folderFor("产品-7")).toBe("产品-7");
  });

  it("prefixes reserved Windows names and keeps them apart from a product of the prefixed name", () => {
    const folderFor = createProductFolderNamer();
    expect(folderFor("CON")).toBe("_CON");
    expect(folderFor("_con")).toBe("_con (2)");
    expect(folderFor("Nul")).toBe("_Nul");
  });

  it("stays within the byte limit with a suffix, and tells apart long names cut to the same bytes", () => {
    const folderFor = createProductFolderNamer();
    const stem = "产".repeat(60);
    const first = folderFor(`${stem}-1`);
    const second = folderFor(`${stem}-2`);
    expect(first).toBe("产".repeat(46));
    expect(second.endsWith(" (2)")).toBe(true);
    expect(byteLength(second)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expectPortable(second);
  });

  it("does not let a suffixed name collide with a real product of that name", () => {
    const folderFor = createProductFolderNamer();
    expect(folderFor("a")).toBe("a");
    expect(folderFor("A")).toBe("A (2)");
    expect(folderFor("a (2)")).toBe("a (2) (2)");
  });
});
