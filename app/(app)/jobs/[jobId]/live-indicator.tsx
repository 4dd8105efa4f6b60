const FINAL_STATUSES = new Set(["completed", "completed_with_errors", "failed", "cancelled"]);

/** A job in one of these states has ended: its stream sends nothing more. */
export function isJobFinal(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * Whether the page follows the job as it runs. A finished job has nothing more to send: its stream
 * ends, and neither "live" nor "reconnecting" is true of it, so nothing shows.
 */
export function LiveIndicator({
  isFinal,
  isConnected,
}: {
  isFinal: boolean;
  isConnected: boolean;
}) {
  if (isFinal) return null;
  return (
    <span
      className={`ml-auto text-xs ${isConnected ? "text-emerald-700" : "text-slate-400"}`}
      data-testid="live-indicator"
    >
      {isConnected ? "● live" : "○ reconnecting…"}
    </span>
  );
}
