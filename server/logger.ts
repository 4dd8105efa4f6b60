/**
 * One-line JSON logs. Values under keys that look like secrets are replaced, so a stray object
 * with a password or token cannot leak through a log line.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key/i;

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1),
    ]),
  );
}

type TLevel = "info" | "warn" | "error";

/** A warn or error line as it was written (fields already redacted), for the System page. */
export type TLogLine = {
  time: string;
  level: "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
};

/** Lines kept per process: enough for the last hours of trouble, a few hundred KB at most. */
export const RECENT_WARNINGS_KEPT = 200;
/** A line's fields past this many characters are kept as cut text: one huge object must not fill memory. */
const KEPT_FIELDS_CHARS = 4_000;

/** A bounded ring of log lines: keeps the newest `capacity` warn and error lines, drops info. */
export function createLogRing(capacity: number) {
  const lines: (TLogLine | undefined)[] = new Array<TLogLine | undefined>(capacity);
  let written = 0;
  return {
    capacity,
    keep(line: Omit<TLogLine, "level"> & { level: TLevel }): void {
      if (line.level === "info") return;
      lines[written % capacity] = { ...line, level: line.level };
      written++;
    },
    newestFirst(): TLogLine[] {
      const count = Math.min(written, capacity);
      return Array.from({ length: count }, (_, age) => lines[(written - 1 - age) % capacity]!);
    },
  };
}

// on globalThis: Next.js may load this module once for instrumentation (the worker) and again for
// route handlers, and the System page must see what both wrote
const globalForLog = globalThis as unknown as {
  datahaulRecentWarnings?: ReturnType<typeof createLogRing>;
};
const recentWarnings = (globalForLog.datahaulRecentWarnings ??=
  createLogRing(RECENT_WARNINGS_KEPT));

/** This process's latest warn and error lines, newest first (other processes keep their own). */
export function listRecentWarnings(): TLogLine[] {
  return recentWarnings.newestFirst();
}

function write(level: TLevel, fields: Record<string, unknown>, message: string) {
  const time = new Date().toISOString();
  const redacted = redact(fields) as Record<string, unknown>;
  const line = JSON.stringify({ time, level, message, ...redacted });
  if (level === "error") console.error(line);
  else console.log(line);
  if (level === "info") return;
  const fieldsText = JSON.stringify(redacted);
  recentWarnings.keep({
    time,
    level,
    message,
    fields:
      fieldsText.length > KEPT_FIELDS_CHARS
        ? { cut: `${fieldsText.slice(0, KEPT_FIELDS_CHARS)}…` }
        : // a copy: what redact leaves past its depth is the caller's object, which may change
          (JSON.parse(fieldsText) as Record<string, unknown>),
  });
}

export const logger = {
  info: (fields: Record<string, unknown>, message: string) => write("info", fields, message),
  warn: (fields: Record<string, unknown>, message: string) => write("warn", fields, message),
  error: (fields: Record<string, unknown>, message: string) => write("error", fields, message),
};
