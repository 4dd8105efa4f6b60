import { describe, expect, it } from "vitest";
import { imageOptionsOf, normalizeImageOptions, ZImageBatchOptions } from "./image-batch-options";

const parse = (options: unknown) => ZImageBatchOptions.safeParse(options);

describe("image batch options", () => {
  it("gives a job without options today's names and no conversion", () => {
    expect(imageOptionsOf('{"skippedEntries":3}')).toEqual({
      fileNameTemplate: "{product}_{n:3}",
      conversion: null,
    });
    expect(imageOptionsOf("not json")).toEqual(imageOptionsOf("{}"));
  });

  it("reads back what a create stored", () => {
    const stored = normalizeImageOptions(
      parse({ fileNameTemplate: "{original}", conversion: { format: "webp", maxSide: 100 } }).data,
    );
    expect(imageOptionsOf(JSON.stringify({ skippedEntries: 0, ...stored }))).toEqual({
      fileNameTemplate: "{original}",
      conversion: { format: "webp", maxSide: 100, quality: 80, includeOriginals: false },
    });
  });

  it("stores no conversion when it would change nothing", () => {
    const options = parse({ conversion: { format: "keep", quality: 50 } }).data;
    expect(normalizeImageOptions(options).conversion).toBeNull();
    const resized = parse({ conversion: { format: "keep", maxSide: 800 } }).data;
    expect(normalizeImageOptions(resized).conversion).toMatchObject({ maxSide: 800 });
  });

  it.each([
    [{ fileNameTemplate: "{sku}" }, "Unknown placeholder {sku} in the file-name template"],
    [{ conversion: { format: "gif" } }, "Choose the format to convert to"],
    [{ conversion: { format: "webp", maxSide: 8 } }, "at least 16 pixels"],
    [{ conversion: { format: "webp", maxSide: 100.5 } }, "whole number of pixels"],
    [{ conversion: { format: "jpeg", quality: 0 } }, "from 1 to 100"],
    [{ conversion: { format: "jpeg", quality: 101 } }, "from 1 to 100"],
  ])("refuses %j in words", (options, message) => {
    const result = parse(options);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });
});
