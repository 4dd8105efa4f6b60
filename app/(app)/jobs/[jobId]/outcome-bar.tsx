import type { TItemCounts } from "@/server/services/jobs/job-progress";
import { describeOutcome } from "./item-counts";

/**
 * Progress as what became of the images: downloaded (and duplicates) in green, failed in red,
 * cancelled in grey, side by side. One bar of "done" filled up the same for a job whose images
 * all failed as for one where all arrived.
 */
export function OutcomeBar({ counts, label }: { counts: TItemCounts; label: string }) {
  const share = (n: number) => (counts.total === 0 ? 0 : (n / counts.total) * 100);
  const finished = counts.downloaded + counts.duplicate + counts.failed + counts.cancelled;
  const segments = [
    { key: "succeeded", value: counts.downloaded + counts.duplicate, tone: "bg-emerald-500" },
    { key: "failed", value: counts.failed, tone: "bg-red-500" },
    { key: "cancelled", value: counts.cancelled, tone: "bg-slate-400" },
  ];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.floor(share(finished))}
      aria-valuetext={describeOutcome(counts)}
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
