import type { Delimiter } from "./types";

const QUOTE = 34;
const SPACE = 32;
const CR = 13;
const LF = 10;

type QuotedField = { value: string; end: number };

/**
 * Splits text into records of raw (untrimmed) cells using Excel/RFC 4180 quoting: a field that
 * starts with `"` and whose closing `"` ends the field may contain delimiters and line breaks, and
 * `""` inside it is one quote. That is how Excel and Google Sheets put a cell with a line break on
 * the clipboard; a cell that merely starts with a quote (`"XL"-P9`) is copied as it is, and read so.
 * Line breaks may be CRLF, LF or a lone CR (older Excel for Mac CSVs). A trailing line break
 * does not produce an extra record, but blank lines in the middle do, so that a record's index
 * stays equal to the row number the user sees.
 */
export function parseDelimitedRecords(text: string, delimiter: Delimiter): string[][] {
  return [...iterateDelimitedRecords(text, delimiter)];
}

/** The records one at a time, so a caller that goes through them once never holds them all. */
export function* iterateDelimitedRecords(text: string, delimiter: Delimiter): Generator<string[]> {
  const delimiterCode = delimiter.charCodeAt(0);
  const length = text.length;
  if (length === 0) return;

  let record: string[] = [];
  let index = 0;
  for (;;) {
    let value: string;
    let quoted: QuotedField | null = null;
    // Hand-written CSVs often use ", " between cells; a quote after those spaces still opens a
    // quoted field. The spaces are dropped, which is harmless because cells are trimmed anyway.
    const start = skipSpaces(text, index);
    if (start < length && text.charCodeAt(start) === QUOTE) quoted = readQuotedField(text, start);

    if (quoted && isFieldEnd(text, skipSpaces(text, quoted.end), delimiterCode)) {
      value = quoted.value;
      index = skipSpaces(text, quoted.end);
    } else {
      // Not a quoted field: text after its closing quote ('"XL"-P9', which Excel and Sheets put
      // on the clipboard as it is), or a quote never closed. The cell is read literally up to the
      // next delimiter or line end, so no quote vanishes and one stray quote cannot swallow the
      // rest of the input.
      const end = findFieldEnd(text, index, delimiterCode);
      value = text.slice(index, end);
      index = end;
    }
    record.push(value);

    if (index >= length) {
      yield record;
      break;
    }
    const code = text.charCodeAt(index);
    if (code === delimiterCode) {
      index++;
      continue;
    }
    yield record;
    record = [];
    index += code === CR && text.charCodeAt(index + 1) === LF ? 2 : 1;
    if (index >= length) break;
  }
}

function skipSpaces(text: string, from: number): number {
  let index = from;
  while (text.charCodeAt(index) === SPACE) index++;
  return index;
}

function isFieldEnd(text: string, index: number, delimiterCode: number): boolean {
  if (index >= text.length) return true;
  const code = text.charCodeAt(index);
  return code === delimiterCode || code === LF || code === CR;
}

function findFieldEnd(text: string, from: number, delimiterCode: number): number {
  const length = text.length;
  let index = from;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === delimiterCode || code === LF || code === CR) break;
    index++;
  }
  return index;
}

function readQuotedField(text: string, openingQuote: number): QuotedField | null {
  let value = "";
  let from = openingQuote + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return null;
    if (text.charCodeAt(quote + 1) === QUOTE) {
      value += text.slice(from, quote + 1);
      from = quote + 2;
      continue;
    }
    return { value: value + text.slice(from, quote), end: quote + 1 };
  }
}
