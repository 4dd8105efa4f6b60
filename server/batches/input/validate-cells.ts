export const MAX_PRODUCT_LENGTH = 64;
export const MAX_URL_LENGTH = 2048;

const PRODUCT_CHARACTERS = /^[A-Za-z0-9_-]+$/;
// The WHATWG parser silently repairs "http:example.com", "https:///a.jpg" and "https:\\\\host"
// into URLs with a different host than intended; requiring exactly "//" followed by the host keeps
// what we fetch identical to what the user sees.
const HTTP_PREFIX = /^https?:\/\/[^/\\]/i;

export const MESSAGES = {
  missingProduct: "missing product number",
  productCharacters: "product number has characters other than letters, digits, - and _",
  productLength: `product number longer than ${MAX_PRODUCT_LENGTH} characters`,
  missingUrl: "missing image URL",
  urlNotHttp: "not an http or https URL",
  urlLength: `URL longer than ${MAX_URL_LENGTH} characters`,
} as const;

/** Returns the problem in plain words, or null for a valid product number. */
export function checkProductNumber(product: string): string | null {
  if (product === "") return MESSAGES.missingProduct;
  if (!PRODUCT_CHARACTERS.test(product)) return MESSAGES.productCharacters;
  if (product.length > MAX_PRODUCT_LENGTH) return MESSAGES.productLength;
  return null;
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
