import { describe, expect, it } from "vitest";
import {
  createImageFileNamer,
  DEFAULT_FILE_NAME_TEMPLATE,
  originalNameOf,
  parseFileNameTemplate,
  renderImageFileName,
  templatePartsOf,
  type TImageNameValues,
} from "./file-name-template";
import { imageFileName, MAX_FILE_NAME_BYTES } from "./file-names";

const SHA = "0123456789abcdef".repeat(4);
const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

function values(overrides: Partial<TImageNameValues> = {}): TImageNameValues {
  return {
    productNumber: "SKU-1",
    position: 1,
    sourceUrl: "https://cdn.example.com/images/front-shot.JPG?w=800",
    sha256: SHA,
    extension: "jpg",
    ...overrides,
  };
}

function render(template: string, overrides: Partial<TImageNameValues> = {}): string {
  const parsed = parseFileNameTemplate(template);
  if (parsed.error !== null) throw new Error(parsed.error);
  return renderImageFileName(parsed.parts, values(overrides));
}

function expectPortable(name: string) {
  expect(name).not.toMatch(/[/\\<>:"|?*\u0000-\u001f\u007f]/);
  expect(name).not.toMatch(/^[.\s]/);
  // ".." inside a name is harmless: without a separator it can never climb out of a folder
  expect(name).not.toMatch(/^\.\.?$/);
  expect(byteLength(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
}

describe("the default template", () => {
  it("is today's naming", () => {
    expect(DEFAULT_FILE_NAME_TEMPLATE).toBe("{product}_{n:3}");
    expect(render(DEFAULT_FILE_NAME_TEMPLATE)).toBe("SKU-1_001.jpg");
  });

  // every case imageFileName's own tests pin down, and the awkward ones: each must come out the same
  it.each([
    ["SKU-1", 1, "jpg"],
    ["SKU-1", 42, "jpg"],
    ["SKU-1", 999, "png"],
    ["SKU-1", 1000, "webp"],
    ["SKU-1", 123456, "jpg"],
    ["P", 1, ".JPG"],
    ["P", 1, ""],
    ["P", 1, "../x"],
    ["P", 1, "j p/g"],
    ["../CON", 7, "png"],
    ["aux", 3, "gif"],
    ["x".repeat(400), 12, "png"],
    ["产".repeat(60), 5, "avif"],
    ["ÄÖÜ-1", 2, "jpg"],
    ["Cafe\u0301", 2, "jpg"],
    ["..", 1, "jpg"],
    ["a.b.c", 9, "jpg"],
  ])("names %j at %i (.%s) exactly as before", (productNumber, position, extension) => {
    const expected = imageFileName({ productNumber, position, extension });
    expect(render(DEFAULT_FILE_NAME_TEMPLATE, { productNumber, position, extension })).toBe(
      expected,
    );
  });
});

describe("placeholders", () => {
  it("fills {product}, {n}, {original} and {sha8}, and adds the extension", () => {
    expect(render("{product}")).toBe("SKU-1.jpg");
    expect(render("{n}", { position: 7 })).toBe("7.jpg");
    expect(render("{n:4}", { position: 7 })).toBe("0007.jpg");
    expect(render("{n:2}", { position: 123 })).toBe("123.jpg");
    expect(render("{original}")).toBe("front-shot.jpg");
    expect(render("{sha8}")).toBe("01234567.jpg");
    expect(render("img-{product}-{n:2}-{sha8}", { position: 3, extension: "webp" })).toBe(
      "img-SKU-1-03-01234567.webp",
    );
  });

  it("takes the extension from the content, never from the URL or the template", () => {
    expect(render("{original}", { sourceUrl: "https://x.test/a.png", extension: "webp" })).toBe(
      "a.webp",
    );
    expect(render("{product}.jpg", { extension: "png" })).toBe("SKU-1.jpg.png");
  });

  it("reads the original name from the URL's path, decoded and without its extension", () => {
    expect(originalNameOf("https://x.test/a/b/Front%20Shot.jpeg?size=2#x")).toBe("Front Shot");
    expect(originalNameOf("https://x.test/archive.tar.gz")).toBe("archive.tar");
    expect(originalNameOf("https://x.test/.hidden")).toBe(".hidden");
    expect(originalNameOf("https://x.test/")).toBe("");
    expect(originalNameOf("https://x.test/100%.jpg")).toBe("100%");
    expect(originalNameOf("not a url")).toBe("");
  });

  it("falls back to a plain word when the URL has no file name", () => {
    expect(render("{original}", { sourceUrl: "https://x.test/" })).toBe("image.jpg");
    expect(render("{product}-{original}", { sourceUrl: "https://x.test/?id=4" })).toBe(
      "SKU-1-image.jpg",
    );
  });
});

describe("unsafe values", () => {
  it.each([
    ["https://evil.test/..%2F..%2Fetc%2Fpasswd.jpg", "_.._etc_passwd.jpg"],
    ["https://evil.test/%2E%2E.jpg", "image.jpg"],
    ["https://evil.test/a%00b%0Ac.jpg", "a_b_c.jpg"],
    ["https://evil.test/CON.jpg", "_CON.jpg"],
    ["https://evil.test/photo%E2%80%AEgpj.exe.png", "photogpj.exe.jpg"],
    ["https://evil.test/a%5Cb%3Ac.jpg", "a_b_c.jpg"],
  ])("makes the original name of %s safe: %s", (sourceUrl, expected) => {
    const name = render("{original}", { sourceUrl });
    expect(name).toBe(expected);
    expectPortable(name);
  });

  it("cuts a long original name, never the position, hash or extension", () => {
    const sourceUrl = `https://x.test/${"é".repeat(300)}.jpg`;
    const name = render("{original}_{n:3}_{sha8}", { sourceUrl, position: 12 });
    expect(name.endsWith("_012_01234567.jpg")).toBe(true);
    expectPortable(name);
  });

  it("shares the room between a long product number and a long original name", () => {
    const name = render("{product}_{original}", {
      productNumber: "p".repeat(64),
      sourceUrl: `https://x.test/${"o".repeat(300)}.jpg`,
    });
    expectPortable(name);
    expect(name).toMatch(/^p{64}_o+\.jpg$/);
    expect(byteLength(name)).toBe(MAX_FILE_NAME_BYTES);
  });
});

describe("parseFileNameTemplate", () => {
  it.each([
    ["{product}_{n:3}"],
    ["{original}"],
    ["photo {n} of {product}"],
    ["{sha8}"],
    ["plain"],
    ["{n:10}"],
  ])("accepts %j", (template) => {
    expect(parseFileNameTemplate(template).error).toBeNull();
  });

  it.each([
    ["{sku}_{n}", "Unknown placeholder {sku} in the file-name template"],
    ["{product}_{N}", "Unknown placeholder {N}"],
    ["{ product }", "Unknown placeholder { product }"],
    ["{}", "Unknown placeholder {}"],
    ["{n:0}", "{n:0} needs a width from 1 to 10"],
    ["{n:11}", "{n:11} needs a width from 1 to 10"],
    ["{n:x}", "{n:x} needs a width"],
    ["{product:3}", "{product:3} takes no format"],
    ["{product", "a “{” that is not closed"],
    ["{pro{duct}", "a “{” that is not closed"],
    ["product}", "a “}” without its “{”"],
    ["{product}/{n}", "cannot contain “/”"],
    ["..\\{n}", "cannot contain “\\”"],
    ["{n}:{product}", "cannot contain “:”"],
    ["a\tb{n}", "control characters"],
    ["   ", "is empty"],
    ["x".repeat(101), "longer than 100 characters"],
    ["{sha8}".repeat(11), "too long"],
    [`${"é".repeat(40)}{n}`, "too long"],
  ])("refuses %j, saying %j", (template, message) => {
    const parsed = parseFileNameTemplate(template);
    expect(parsed.parts).toBeNull();
    expect(parsed.error).toContain(message);
  });

  it("names the placeholders one may use", () => {
    expect(parseFileNameTemplate("{foo}").error).toBe(
      "Unknown placeholder {foo} in the file-name template: use {product}, {n} (or {n:3} for 001), {original} or {sha8}.",
    );
  });

  it("falls back to the default for a stored template that no longer reads", () => {
    expect(templatePartsOf("{bad")).toEqual(templatePartsOf(DEFAULT_FILE_NAME_TEMPLATE));
    expect(templatePartsOf(undefined)).toEqual(templatePartsOf(DEFAULT_FILE_NAME_TEMPLATE));
  });
});

describe("createImageFileNamer", () => {
  it("tells equal names of one product apart with (2), (3)… in the order they come", () => {
    const nameFor = createImageFileNamer(templatePartsOf("{original}"));
    const url = (path: string) => `https://x.test/${path}`;
    expect(nameFor(values({ position: 1, sourceUrl: url("a/photo.jpg") }))).toBe("photo.jpg");
    expect(nameFor(values({ position: 2, sourceUrl: url("b/photo.jpg") }))).toBe("photo (2).jpg");
    // a disk that ignores case would merge these
    expect(nameFor(values({ position: 3, sourceUrl: url("c/PHOTO.jpg") }))).toBe("PHOTO (3).jpg");
    // another extension is another name
    expect(nameFor(values({ position: 4, sourceUrl: url("photo.png"), extension: "png" }))).toBe(
      "photo.png",
    );
    // a real name that a suffix already took gets one of its own
    expect(nameFor(values({ position: 5, sourceUrl: url("photo (2).jpg") }))).toBe(
      "photo (2) (2).jpg",
    );
  });

  it("starts afresh for each product (each has a folder or a ZIP of its own)", () => {
    const nameFor = createImageFileNamer(templatePartsOf("{original}"));
    const sourceUrl = "https://x.test/photo.jpg";
    expect(nameFor(values({ productNumber: "A", sourceUrl }))).toBe("photo.jpg");
    expect(nameFor(values({ productNumber: "B", sourceUrl }))).toBe("photo.jpg");
  });

  it("gives the same names on every pass, as the master ZIP, a product ZIP and a manifest do", () => {
    const items = [1, 2, 3, 4].map((position) =>
      values({ position, sourceUrl: `https://x.test/${position % 2}/same.jpg` }),
    );
    const pass = () => {
      const nameFor = createImageFileNamer(templatePartsOf("{original}"));
      return items.map((item) => nameFor(item));
    };
    expect(pass()).toEqual(["same.jpg", "same (2).jpg", "same (3).jpg", "same (4).jpg"]);
    expect(pass()).toEqual(pass());
  });

  it("keeps a suffixed name within the byte limit, cutting the value and not the suffix", () => {
    const nameFor = createImageFileNamer(templatePartsOf("{original}"));
    const sourceUrl = `https://x.test/${"x".repeat(300)}.jpg`;
    nameFor(values({ sourceUrl }));
    const second = nameFor(values({ sourceUrl, position: 2 }));
    expect(second.endsWith(" (2).jpg")).toBe(true);
    expectPortable(second);
  });

  it("never renames images under the default template, which cannot collide", () => {
    const nameFor = createImageFileNamer(templatePartsOf(DEFAULT_FILE_NAME_TEMPLATE));
    const names = [1, 2, 3].map((position) => nameFor(values({ position })));
    expect(names).toEqual(["SKU-1_001.jpg", "SKU-1_002.jpg", "SKU-1_003.jpg"]);
  });
});
