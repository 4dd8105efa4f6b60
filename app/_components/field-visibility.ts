/** A form field shown only while another field has one of these values. */
export type TShowIf = { field: string; values: string[] };

export function isShown(field: { showIf?: TShowIf }, values: Record<string, unknown>): boolean {
  return !field.showIf || field.showIf.values.includes(String(values[field.showIf.field] ?? ""));
}
