import { describe, expect, it } from "vitest";
import { detectDelimiter, findHeaderColumns } from "./detect-format";

describe("detectDelimiter", () => {
  it("picks tab when the first non-empty line contains one", () => {
    expect(detectDelimiter("\n\nSKU1\thttps://a.example/x.jpg,https://a.example/y.jpg")).toBe("\t");
  });

  it("picks semicolon for a semicolon header", () => {
    expect(detectDelimiter("Product Number;Image Src\nA;https://a.example/x.jpg")).toBe(";");
  });

  it("picks comma for a comma header", () => {
    expect(detectDelimiter("SKU,Image URL\nA,https://a.example/x.jpg")).toBe(",");
  });

  it("picks semicolon for headerless data whose URL contains a comma", () => {
    expect(detectDelimiter("A;https://a.example/x.jpg?size=1,2")).toBe(";");
  });

  it("picks comma for headerless data whose URL contains a semicolon", () => {
    expect(detectDelimiter("A,https://a.example/x;v=2.jpg")).toBe(",");
  });

  it("falls back to comma when nothing is recognisable", () => {
    expect(detectDelimiter("just text")).toBe(",");
  });
});

describe("findHeaderColumns", () => {
  it.each([
    ["Product Number", "Image Src"],
    ["product", "image url"],
    ["ProductID", "ImageURL"],
    [" Product ID ", "URL"],
    ["SKU", "Image"],
    ["product_number", "IMAGE_SRC"],
  ])("recognises %j and %j", (productName, urlName) => {
    expect(findHeaderColumns([productName, urlName])).toEqual({ product: 0, url: 1, urls: [] });
  });

  it("finds columns in any order among extra columns", () => {
    expect(findHeaderColumns(["Title", "Image Src", "Price", "SKU"])).toEqual({
      product: 3,
      url: 1,
      urls: [],
    });
  });

  it("reports -1 for a column it cannot find", () => {
    expect(findHeaderColumns(["SKU", "Picture"])).toEqual({ product: 0, url: -1, urls: [] });
  });

  it("does not take a URL cell as a header", () => {
    expect(findHeaderColumns(["SKU1", "https://a.example/url"])).toEqual({
      product: -1,
      url: -1,
      urls: [],
    });
  });

  it("keeps the plain image column first even when a numbered one comes before it", () => {
    expect(findHeaderColumns(["SKU", "Image 2", "Image", "Images 3"])).toEqual({
      product: 0,
      url: 2,
      urls: [1, 3],
    });
    expect(findHeaderColumns(["SKU", "Images"])).toEqual({ product: 0, url: 1, urls: [] });
  });

  it("reads a repeated image header, and takes a bare URL beside numbered columns for a page", () => {
    expect(findHeaderColumns(["SKU", "Image", "Image", "Image"])).toEqual({
      product: 0,
      url: 1,
      urls: [2, 3],
    });
    expect(findHeaderColumns(["SKU", "Image 1", "Image 2", "URL"])).toEqual({
      product: 0,
      url: 1,
      urls: [2],
    });
    expect(findHeaderColumns(["SKU", "URL", "URL", "Image 2"])).toEqual({
      product: 0,
      url: 3,
      urls: [],
    });
  });

  it("takes one column per image: Image 1, Image 2…", () => {
    expect(findHeaderColumns(["SKU", "Image 1", "Notes", "Image 2", "image_url_3"])).toEqual({
      product: 0,
      url: 1,
      urls: [3, 4],
    });
    // a number alone, a product-like name with a number or a second plain URL column is not one
    expect(findHeaderColumns(["SKU", "Image", "2", "SKU 2", "URL"])).toEqual({
      product: 0,
      url: 1,
      urls: [],
    });
  });
});
