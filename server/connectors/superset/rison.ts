/**
 * Rison, the URL-friendly JSON that Flask-AppBuilder's list endpoints read from `?q=`
 * (https://github.com/Nanonid/rison): objects are `(key:value,…)`, arrays `!(…)`, true, false
 * and null `!t`, `!f`, `!n`. Every string is quoted here (`'…'`, with `!` written `!!` and `'`
 * written `!'`), which is always valid, so no text needs the rules for bare words.
 */
export function toRison(value: unknown): string {
  if (value === null || value === undefined) return "!n";
  if (value === true) return "!t";
  if (value === false) return "!f";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("rison has no infinite numbers");
    return String(value);
  }
  if (typeof value === "string") return `'${value.replace(/!/g, "!!").replace(/'/g, "!'")}'`;
  if (Array.isArray(value)) return `!(${value.map(toRison).join(",")})`;
  if (typeof value === "object") {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `${toRison(key)}:${toRison(member)}`);
    return `(${members.join(",")})`;
  }
  throw new Error(`rison cannot write a ${typeof value}`);
}
