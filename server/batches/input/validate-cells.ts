export const MAX_PRODUCT_LENGTH = 64;
export const MAX_URL_LENGTH = 2048;

// Letters and digits of any script (ÄÖÜ-1, 产品-7), with the combining marks some scripts need;
// nothing that a file system, a URL path or a spreadsheet treats specially.
const PRODUCT_CHARACTER = /^[\p{L}\p{M}\p{Nd}_-]$/u;
const PRODUCT_CHARACTERS = /^[\p{L}\p{M}\p{Nd}_-]+$/u;
const SPACE_CHARACTER = /^\s$/u;
const INVISIBLE_CHARACTER = /^[\p{C}\p{Z}]$/u;
// The WHATWG parser silently repairs "http:example.com", "https:///a.jpg" and "https:\\\\host"
// into URLs with a different host than intended; requiring exactly "//" followed by the host keeps
// what we fetch identical to what the user sees.
const HTTP_PREFIX = /^https?:\/\/[^/\\]/i;

export const MESSAGES = {
  missingProduct: "missing product number",
  productLength: `product number longer than ${MAX_PRODUCT_LENGTH} characters`,
  missingUrl: "missing image URL",
  urlNotHttp: "not an http or https URL",
  urlLength: `URL longer than ${MAX_URL_LENGTH} characters`,
} as const;

/**
 * A product number as it is compared and stored: trimmed and in Unicode NFC, so an "Ä" pasted from
 * macOS (A and a combining diaeresis, NFD) is the same product as the "Ä" typed on Windows. A
 * leading apostrophe is a spreadsheet's "this is text" mark (our own exports put it before "-P1"
 * so no spreadsheet runs it as a formula); product numbers never contain one, so it is dropped.
 */
export function normalizeProductNumber(cell: string): string {
  return cell.trim().replace(/^'/, "").normalize("NFC");
}

/** Returns the problem in plain words, or null for a valid (normalized) product number. */
export function checkProductNumber(product: string): string | null {
  if (product === "") return MESSAGES.missingProduct;
  if (!PRODUCT_CHARACTERS.test(product)) {
    const refused = [...product].find((character) => !PRODUCT_CHARACTER.test(character))!;
    return `product number contains ${describeCharacter(refused)}: only letters, digits, - and _ are allowed`;
  }
  // characters as the user counts them; a UTF-16 length would count 𠀀 twice
  if ([...product].length > MAX_PRODUCT_LENGTH) return MESSAGES.productLength;
  return null;
}

/** A character named so the user can find it: invisible ones by their code point. */
function describeCharacter(character: string): string {
  if (character === " ") return "a space";
  if (character === "\t") return "a tab";
  const codePoint = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (SPACE_CHARACTER.test(character)) return `a space character (${codePoint})`;
  if (INVISIBLE_CHARACTER.test(character)) return `an invisible character (${codePoint})`;
  return `“${character}”`;
}

export type UrlCheck = { error: string; key: null } | { error: null; key: string };

/**
 * Validates one image URL. `key` is the parsed href, used for duplicate detection so that
 * spellings the browser treats as the same address (host case, default port) count as one image.
 */
export function checkImageUrl(url: string): UrlCheck {
  if (url === "") return { error: MESSAGES.missingUrl, key: null };
  if (url.length > MAX_URL_LENGTH) return { error: MESSAGES.urlLength, key: null };
  if (!HTTP_PREFIX.test(url)) return { error: MESSAGES.urlNotHttp, key: null };
  try {
    // URL.canParse would avoid the throw but is missing from Safari before 17. No separate host
    // check is needed: the parser throws for http(s) URLs without one.
    return { error: null, key: new URL(url).href };
  } catch {
    return { error: MESSAGES.urlNotHttp, key: null };
  }
}
