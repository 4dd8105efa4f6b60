import type { Delimiter } from "./types";

const QUOTE = 34;
const SPACE = 32;
const CR = 13;
const LF = 10;

type QuotedField = { value: string; end: number };

/**
 * Splits text into records of raw (untrimmed) cells using Excel/RFC 4180 quoting: a field that
 * starts with `"` may contain delimiters and line breaks, and `""` inside it is one quote.
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
    let start = index;
    // Hand-written CSVs often use ", " between cells; a quote after those spaces still opens a
    // quoted field. The spaces are dropped, which is harmless because cells are trimmed anyway.
    while (start < length && text.charCodeAt(start) === SPACE) start++;
    if (start < length && text.charCodeAt(start) === QUOTE) quoted = readQuotedField(text, start);

    if (quoted) {
      value = quoted.value;
      index = quoted.end;
      const tailEnd = findFieldEnd(text, index, delimiterCode);
      // Text between a closing quote and the next delimiter is malformed; keeping it visible lets
      // validation report it instead of silently dropping characters.
      if (tailEnd > index) value += text.slice(index, tailEnd);
      index = tailEnd;
    } else {
      // An unclosed quote is read as a literal character up to the end of the line, so one stray
      // quote cannot swallow the rest of the input.
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
