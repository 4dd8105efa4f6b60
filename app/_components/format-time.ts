import { timeZoneProblem } from "./time-zones";

export const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * "Sun 29 Nov, 06:00" in the given zone: schedules speak in their own time zone. A zone the user
 * is still typing reads as UTC rather than throwing and taking the page down.
 */
export function formatIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timeZoneProblem(timeZone) ? "UTC" : timeZone.trim(),
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(date);
}
