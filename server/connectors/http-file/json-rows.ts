import { ConnectorError } from "../connector-error";

// The rows of a JSON answer: found at a dotted path, flattened to text cells under dotted column
// names. Every message names the path and the page, and what the answer has instead.

/** How many of an answer's fields an error lists before "…". */
const LISTED_FIELDS = 12;

/**
 * JSON.parse, but a number keeps the text it was written as when a JavaScript number would change
 * it: 12345678901234567890 (an id past 2^53) would become 12345678901234567000, 1.10 would become
 * 1.1. Such a number comes back as a string of its own digits, which is what its CSV cell holds.
 * Returns undefined when the text is not JSON.
 */
export function parseJsonKeepingNumbers(text: string): { value: unknown } | undefined {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let rewritten: string;
  try {
    rewritten = quoteInexactNumbers(source);
  } catch {
    return undefined;
  }
  try {
    return { value: JSON.parse(rewritten) as unknown };
  } catch {
    return undefined;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Wraps in quotes every number token (outside strings) that a JS number would not give back. */
function quoteInexactNumbers(text: string): string {
  let out: string[] | null = null;
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // a string: to its closing quote, past escapes
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
      }
      continue;
    }
    if (code !== 0x2d && (code < 0x30 || code > 0x39)) continue;
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) continue; // not a number: JSON.parse will say so
    const token = match[0];
    if (String(Number(token)) !== token) {
      out ??= [];
      out.push(text.slice(copiedTo, i), `"${token}"`);
      copiedTo = i + token.length;
    }
    i += token.length - 1;
  }
  if (!out) return text;
  out.push(text.slice(copiedTo));
  return out.join("");
}

export type TFound = { found: true; value: unknown } | { found: false };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path ("data.items", "results.0.rows"); "" is the document itself. */
export function valueAt(document: unknown, path: string): TFound {
  if (path === "") return { found: true, value: document };
  let current: unknown = document;
  for (const key of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(key) && Number(key) < current.length) {
      current = current[Number(key)];
    } else if (isPlainObject(current) && Object.hasOwn(current, key)) {
      current = current[key];
    } else return { found: false };
  }
  return { found: true, value: current };
}

/** What a value is, in words: "a list", "an object", "a string", "null", … */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "boolean") return `${value}`;
  return `a ${typeof value}`;
}

/**
 * The fields an answer has, with those on the way to `path` opened up: for the path
 * "data.items" and {data: {rows: []}, meta: {}} that is "data.rows, meta".
 */
export function describeFields(document: unknown, path: string): string {
  const names: string[] = [];
  const walk = (value: unknown, steps: string[], prefix: string) => {
    if (!isPlainObject(value)) return;
    for (const key of Object.keys(value)) {
      const child = value[key];
      if (key === steps[0] && isPlainObject(child) && Object.keys(child).length > 0)
        walk(child, steps.slice(1), `${prefix}${key}.`);
      else names.push(`${prefix}${key}`);
    }
  };
  if (!isPlainObject(document)) return `the answer is ${kindOf(document)}`;
  walk(document, path === "" ? [] : path.split("."), "");
  if (names.length === 0) return "the answer is an empty object";
  const shown = names.slice(0, LISTED_FIELDS).join(", ");
  return `the answer has: ${shown}${names.length > LISTED_FIELDS ? ", …" : ""}`;
}

/** The list of rows of one page's answer, or a plain error naming the path, the page and what is there. */
export function rowsOf(document: unknown, rowsPath: string, page: number): unknown[] {
  const found = valueAt(document, rowsPath);
  if (found.found && Array.isArray(found.value)) return found.value;
  if (rowsPath === "") {
    throw new ConnectorError(
      `the answer of page ${page} is not a list but ${kindOf(document)}; set “Rows path” to where its rows are (${describeFields(document, "")})`,
    );
  }
  const what = found.found ? ` (it is ${kindOf(found.value)})` : "";
  throw new ConnectorError(
    `\`${rowsPath}\` is not a list in the answer of page ${page}${what}; ${describeFields(document, rowsPath)}`,
  );
}

/**
 * The next cursor of a page's answer: null when it is missing, null or empty (no more pages). On
 * the first page a path that leads nowhere is a mistake in the report rather than the end, and
 * says so.
 */
export function cursorOf(document: unknown, cursorPath: string, page: number): string | null {
  const found = valueAt(document, cursorPath);
  if (!found.found) {
    if (page === 1) {
      throw new ConnectorError(
        `the next cursor \`${cursorPath}\` is not in the answer of page 1; ${describeFields(document, cursorPath)}`,
      );
    }
    return null;
  }
  const value = found.value;
  if (value === null || value === "") return null;
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new ConnectorError(
    `the next cursor \`${cursorPath}\` in the answer of page ${page} is ${kindOf(value)}, not a text or a number`,
  );
}

/**
 * A row's cells, by column: nested objects open into dotted columns ("customer.address.city"),
 * lists and the like become their JSON text, null an empty cell. A row that is not an object (a
 * list of plain values) is one cell, "value". An empty nested object adds no column.
 */
export function flattenRow(row: unknown, cell: (column: string, text: string) => void): void {
  if (!isPlainObject(row)) {
    cell("value", textOf(row));
    return;
  }
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (isPlainObject(value)) walk(value, `${prefix}${key}.`);
      else cell(`${prefix}${key}`, textOf(value));
    }
  };
  walk(row, "");
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
