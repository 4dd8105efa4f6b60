/**
 * Progress as what became of a job's items: succeeded in green, failed in red, cancelled in grey,
 * side by side. One bar of "done" filled up the same for a job whose items all failed as for one
 * where all arrived.
 */
export function OutcomeBar({
  total,
  succeeded,
  failed,
  cancelled,
  label,
  valueText,
}: {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  label: string;
  /** the outcome in words, read out instead of a bare percentage */
  valueText: string;
}) {
  const share = (n: number) => (total === 0 ? 0 : (n / total) * 100);
  const segments = [
    { key: "succeeded", value: succeeded, tone: "bg-emerald-500" },
    { key: "failed", value: failed, tone: "bg-red-500" },
    { key: "cancelled", value: cancelled, tone: "bg-slate-400" },
  ];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.floor(share(succeeded + failed + cancelled))}
      aria-valuetext={valueText}
      className="flex h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      {segments.map(
        (segment) =>
          segment.value > 0 && (
            <div
              key={segment.key}
              data-segment={segment.key}
              className={`h-full transition-[width] duration-300 ${segment.tone}`}
              style={{ width: `${share(segment.value)}%` }}
            />
          ),
      )}
    </div>
  );
}
