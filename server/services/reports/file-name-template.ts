import { toSafeFileName } from "@/server/archive/file-names";
import { isFormulaToSpreadsheets } from "@/server/archive/manifest";

const TOKEN = /\{([a-z]+)(?::([^}]*))?\}/g;
const DATE_PARTS = /yyyy|MM|dd|HH|mm|ss/g;
const KNOWN = new Set(["report", "date", "run"]);

/** A plain-words problem with a template, or null when it is fine. */
export function validateFileNameTemplate(template: string): string | null {
  for (const match of template.matchAll(TOKEN)) {
    if (!KNOWN.has(match[1]!)) {
      return `Unknown placeholder {${match[1]}} in the file name: use {report}, {date:yyyyMMdd_HHmm} or {run}.`;
    }
    if (
      match[1] === "date" &&
      match[2] !== undefined &&
      match[2].replace(DATE_PARTS, "").match(/[A-Za-z]/)
    ) {
      return `The date format "${match[2]}" may use yyyy, MM, dd, HH, mm and ss.`;
    }
  }
  if (/[{}]/.test(template.replace(TOKEN, ""))) return "A { or } in the file name has no partner.";
  return null;
}

/**
 * The file name of one report's output, e.g. `{report}_{date:yyyyMMdd_HHmm}.csv` →
 * `Sales_20261123_0915.csv`, in the given time zone, made safe for every file system, and for
 * spreadsheets: the run summary lists it as it is in the ZIP, so a name a spreadsheet would run
 * (`=Sales…`, `-EU…`) is given a leading `_` here instead of a `'` there.
 */
export function renderFileName(
  template: string,
  values: { report: string; date: Date; runId: string; timeZone?: string; extension: string },
): string {
  const rendered = template.replace(TOKEN, (_, name: string, format?: string) => {
    if (name === "report") return values.report;
    if (name === "run") return values.runId.slice(0, 8);
    return formatDatePattern(values.date, format || "yyyyMMdd_HHmm", values.timeZone ?? "UTC");
  });
  const withExtension = rendered.toLowerCase().endsWith(`.${values.extension}`)
    ? rendered
    : `${rendered}.${values.extension}`;
  const name = toSafeFileName(withExtension, `report.${values.extension}`);
  return isFormulaToSpreadsheets(name) ? toSafeFileName(`_${name}`, name) : name;
}

/** `yyyy-MM-dd HH:mm` and the like, in the time zone given. */
export function formatDatePattern(date: Date, format: string, timeZone: string): string {
  const parts = dateParts(date, timeZone);
  return format.replace(DATE_PARTS, (part) => parts[part as keyof typeof parts]);
}

function dateParts(date: Date, timeZone: string) {
  const formatted = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => formatted.find((p) => p.type === type)?.value ?? "00";
  return {
    yyyy: get("year"),
    MM: get("month"),
    dd: get("day"),
    HH: get("hour"),
    mm: get("minute"),
    ss: get("second"),
  };
}
