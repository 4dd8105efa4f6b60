"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";

const FINAL_STATUSES = new Set(["completed", "completed_with_errors", "failed", "cancelled"]);

/** A job in one of these states has ended: its stream sends nothing more. */
export function isJobFinal(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

const ENDINGS: Record<string, string> = {
  completed: "✓ Done",
  completed_with_errors: "⚠ Done with failures",
  failed: "✗ Failed",
  cancelled: "Cancelled",
};

/**
 * Whether the page follows the job as it runs. A finished job has nothing more to send: its stream
 * ends, and neither "live" nor "reconnecting" is true of it, so nothing shows.
 *
 * While the job runs, the tab's title says so; when it ends while the page is open, the title says
 * how, and a browser notification tells someone who went to another tab (if they allowed it).
 */
export function LiveIndicator({
  isFinal,
  isConnected,
  job,
}: {
  isFinal: boolean;
  isConnected: boolean;
  job: { title: string; status: string };
}) {
  useJobEndSignal(job);
  const permission = useNotificationPermission();
  const [asked, setAsked] = useState(false);
  if (isFinal) return null;
  return (
    <span className="ml-auto flex items-center gap-3">
      {permission === "default" && !asked && (
        <button
          type="button"
          className="text-xs text-brand-600 hover:underline"
          onClick={() => {
            setAsked(true);
            void Notification.requestPermission();
          }}
        >
          Notify me when it ends
        </button>
      )}
      <span
        className={`text-xs ${isConnected ? "text-emerald-700" : "text-slate-400"}`}
        data-testid="live-indicator"
      >
        {isConnected ? "● live" : "○ reconnecting…"}
      </span>
    </span>
  );
}

function useJobEndSignal(job: { title: string; status: string }) {
  const wasRunning = useRef(false);
  useEffect(() => {
    const original = document.title;
    if (!isJobFinal(job.status)) {
      wasRunning.current = true;
      document.title = `● Running · ${job.title}`;
    } else if (wasRunning.current) {
      const ending = ENDINGS[job.status] ?? job.status;
      document.title = `${ending} · ${job.title}`;
      if (document.hidden && notificationPermission() === "granted")
        new Notification(`${ending}: ${job.title}`, { tag: `datahaul-${job.title}` });
    }
    return () => {
      document.title = original;
    };
  }, [job.status, job.title]);
}

function notificationPermission(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

function useNotificationPermission() {
  return useSyncExternalStore(
    () => () => {},
    notificationPermission,
    () => "unsupported" as const,
  );
}
