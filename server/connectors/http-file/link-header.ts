// The Link header of RFC 8288 (https://www.rfc-editor.org/rfc/rfc8288#section-3), read the way the
// RFC's grammar says, not by splitting on commas: a URI may hold commas and semicolons, a quoted
// parameter may hold both too, `rel` may list several relation types, and several Link headers
// arrive joined by ", ".
//
//   Link       = #link-value
//   link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//
// (http-link-header from npm reads the same grammar; it is not a dependency of DataHaul, so this
// small reader stands in its place, checked against the same cases in link-header.test.ts.)

export type TLink = {
  /** the target as written between < and >, not yet resolved */
  uri: string;
  /** relation types of the first `rel` parameter, lower-cased (registered types are case-blind) */
  rel: string[];
  /** parameters by lower-cased name; the first occurrence of a name wins (RFC 8288 §3.3, §3.4) */
  params: Record<string, string>;
};

const isSpace = (char: string | undefined) => char === " " || char === "\t";
/** RFC 9110 tchar */
const isTokenChar = (char: string | undefined) =>
  char !== undefined && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/.test(char);

/** Every link of a Link header's value, in order; a malformed link-value is skipped, not fatal. */
export function parseLinkHeader(value: string): TLink[] {
  const links: TLink[] = [];
  const text = value;
  let i = 0;
  const skipSpace = () => {
    while (isSpace(text[i])) i++;
  };
  /** past the next comma that is outside <…> and "…": the start of the next link-value */
  const skipToNextLink = () => {
    let inQuotes = false;
    let inBrackets = false;
    for (; i < text.length; i++) {
      const char = text[i];
      if (inQuotes) {
        if (char === "\\") i++;
        else if (char === '"') inQuotes = false;
      } else if (inBrackets) {
        if (char === ">") inBrackets = false;
      } else if (char === '"') inQuotes = true;
      else if (char === "<") inBrackets = true;
      else if (char === ",") {
        i++;
        return;
      }
    }
  };
  const readQuoted = (): string | null => {
    // at the opening quote
    let out = "";
    for (i++; i < text.length; i++) {
      const char = text[i]!;
      if (char === "\\") {
        i++;
        if (i >= text.length) return null;
        out += text[i];
      } else if (char === '"') {
        i++;
        return out;
      } else out += char;
    }
    return null;
  };
  const readToken = (): string => {
    const start = i;
    while (isTokenChar(text[i])) i++;
    return text.slice(start, i);
  };

  while (i < text.length) {
    while (isSpace(text[i]) || text[i] === ",") i++;
    if (i >= text.length) break;
    if (text[i] !== "<") {
      skipToNextLink();
      continue;
    }
    const close = text.indexOf(">", i + 1);
    if (close < 0) break;
    const uri = text.slice(i + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = {};
    let isBroken = false;
    for (;;) {
      skipSpace();
      if (i >= text.length || text[i] === ",") break;
      if (text[i] !== ";") {
        isBroken = true;
        break;
      }
      i++;
      skipSpace();
      const name = readToken().toLowerCase();
      if (!name) {
        // ";" with nothing after it (a trailing semicolon) is harmless; anything else is not
        if (i >= text.length || text[i] === "," || text[i] === ";") continue;
        isBroken = true;
        break;
      }
      skipSpace();
      let paramValue = "";
      if (text[i] === "=") {
        i++;
        skipSpace();
        if (text[i] === '"') {
          const quoted = readQuoted();
          if (quoted === null) {
            isBroken = true;
            break;
          }
          paramValue = quoted;
        } else paramValue = readToken();
      }
      if (name.endsWith("*")) {
        // RFC 8187 ext-value: charset'language'percent-encoded; it wins over the plain form
        const plain = name.slice(0, -1);
        const decoded = decodeExtValue(paramValue);
        if (decoded !== null && !(`${plain}*` in params)) {
          params[plain] = decoded;
          params[name] = decoded;
        }
        continue;
      }
      if (!(name in params)) params[name] = paramValue;
    }
    if (isBroken) {
      skipToNextLink();
      continue;
    }
    const rel = (params.rel ?? "")
      .split(/[ \t]+/)
      .filter(Boolean)
      .map((type) => type.toLowerCase());
    links.push({ uri, rel, params });
  }
  return links;
}

function decodeExtValue(value: string): string | null {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return null;
  const charset = match[1]!.toLowerCase();
  if (charset !== "utf-8" && charset !== "iso-8859-1") return null;
  try {
    if (charset === "utf-8") return decodeURIComponent(match[2]!);
    return match[2]!.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
  } catch {
    return null;
  }
}

/**
 * The absolute URL of the link with the relation type `rel` ("next") about the page at `pageUrl`,
 * or null. A relative target is resolved against the page's URL. A link with an `anchor` about
 * another resource is not this page's, and only http(s) targets count.
 */
export function findLink(headerValue: string | undefined, rel: string, pageUrl: string) {
  if (!headerValue) return null;
  for (const link of parseLinkHeader(headerValue)) {
    if (!link.rel.includes(rel)) continue;
    let target: URL;
    try {
      if (link.params.anchor !== undefined) {
        const anchor = new URL(link.params.anchor, pageUrl);
        if (anchor.href.split("#")[0] !== pageUrl.split("#")[0]) continue;
      }
      target = new URL(link.uri, pageUrl);
    } catch {
      continue;
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") continue;
    target.hash = "";
    return target.href;
  }
  return null;
}
