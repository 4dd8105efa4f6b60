/** Every IANA zone this browser knows, plus UTC (which `supportedValuesOf` leaves out), sorted. */
export function timeZoneNames(): string[] {
  return [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])].sort();
}

/**
 * What is wrong with a time zone the user typed, as a sentence, or null when it is one. Never
 * throws: a half-typed zone is a normal state of the field, not an error of the page.
 */
export function timeZoneProblem(zone: string): string | null {
  const typed = zone.trim();
  if (typed === "") return "Choose a time zone from the list, like Europe/Berlin or UTC.";
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: typed });
    return null;
  } catch {
    return `“${typed}” is not a time zone: choose one from the list, like Europe/Berlin or UTC.`;
  }
}
