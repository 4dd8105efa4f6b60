import { parseDelimitedRecords } from "./parse-delimited";
import type { Delimiter } from "./types";

/** `urls`: further image columns after the first ("Image 2", "Image URL 3"…), left to right. */
export type HeaderColumns = { product: number; url: number; urls: number[] };

// Keys are header cells with case, spaces, underscores and hyphens removed, so "Product_ID",
// " product id " and "ProductID" all land on the same alias.
const PRODUCT_ALIASES = new Set(["productnumber", "product", "productid", "sku"]);
const URL_ALIASES = new Set(["imagesrc", "imageurl", "url", "image", "images"]);
// "Image 1", "Image URL 2", "images3": one column per image, a common spreadsheet layout
const NUMBERED_URL_ALIAS = /^(imagesrc|imageurl|url|images?)\d{1,3}$/;
const HEADER_NOISE = /[\s_-]+/g;
const HTTP_PREFIX = /^https?:\/\//i;

export const PRODUCT_COLUMN_NAMES = "Product Number, Product, ProductID or SKU";
export const URL_COLUMN_NAMES = "Image Src, Image URL, ImageURL, URL or Image";

export function startsWithHttp(cell: string): boolean {
  return HTTP_PREFIX.test(cell);
}

/**
 * Finds the product and image URL columns in a possible header record. Either index is -1 when no
 * cell matches. The first product column wins. Image columns: a plain one ("Image URL"), the same
 * name repeated ("Image", "Image", "Image"), and numbered ones ("Image 2", "Image 3"); the plain one
 * comes first. A bare "URL" next to numbered image columns is taken for a product page instead.
 */
export function findHeaderColumns(cells: readonly string[]): HeaderColumns {
  let product = -1;
  let plainKey = "";
  const plain: number[] = [];
  const numbered: number[] = [];
  for (let index = 0; index < cells.length; index++) {
    const key = headerKey(cells[index]);
    if (product === -1 && PRODUCT_ALIASES.has(key)) product = index;
    else if (NUMBERED_URL_ALIAS.test(key)) numbered.push(index);
    else if (plain.length === 0 ? URL_ALIASES.has(key) : key === plainKey) {
      plainKey = key;
      plain.push(index);
    }
  }
  const images = plainKey === "url" && numbered.length > 0 ? numbered : [...plain, ...numbered];
  return { product, url: images[0] ?? -1, urls: images.slice(1) };
}

function headerKey(cell: string | undefined): string {
  return (cell ?? "").toLowerCase().replace(HEADER_NOISE, "");
}

/**
 * Tab wins whenever the first non-empty line has one, because that is what Excel and Sheets put on
 * the clipboard. Otherwise the first line is split by `,` and by `;` and whichever yields the
 * expected columns (a recognised header, or a product followed by an http URL) is used; on a tie
 * `,` wins as the more common CSV dialect.
 */
export function detectDelimiter(text: string): Delimiter {
  const line = readFirstNonEmptyLine(text);
  if (line.includes("\t")) return "\t";
  const commaScore = scoreFirstLine(line, ",");
  const semicolonScore = scoreFirstLine(line, ";");
  return semicolonScore > commaScore ? ";" : ",";
}

/**
 * Whether a text starts the way an image list does: a recognised header, or a product number then
 * an http(s) URL. Picks the list among several spreadsheets of a ZIP (not a readme beside it).
 */
export function looksLikeImageList(text: string): boolean {
  return scoreFirstLine(readFirstNonEmptyLine(text), detectDelimiter(text)) >= 2;
}

function scoreFirstLine(line: string, delimiter: Delimiter): number {
  const cells = (parseDelimitedRecords(line, delimiter)[0] ?? []).map((cell) => cell.trim());
  const header = findHeaderColumns(cells);
  if (header.product !== -1 && header.url !== -1) return 3;
  const [product = "", url = ""] = cells;
  if (product !== "" && !startsWithHttp(product) && startsWithHttp(url)) return 2;
  // Without a clear match, a split that at least produces two columns beats one that does not.
  return cells.length >= 2 ? 1 : 0;
}

function readFirstNonEmptyLine(text: string): string {
  let start = 0;
  while (start < text.length) {
    let end = start;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (code === 10 || code === 13) break;
      end++;
    }
    const line = text.slice(start, end);
    if (line.trim() !== "") return line;
    start = end + 1;
  }
  return "";
}
