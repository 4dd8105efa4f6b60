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

function write(level: "info" | "warn" | "error", fields: Record<string, unknown>, message: string) {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    message,
    ...(redact(fields) as object),
  });
  if (level === "error") console.error(line);
  else console.log(line);
}

export const logger = {
  info: (fields: Record<string, unknown>, message: string) => write("info", fields, message),
  warn: (fields: Record<string, unknown>, message: string) => write("warn", fields, message),
  error: (fields: Record<string, unknown>, message: string) => write("error", fields, message),
};
