"use client";

import { useEffect, useState } from "react";

/** "12 s", "2 min 5 s": how long until a paused job tries again. */
function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** Why a job waits and when it tries again, counting down; it resumes by itself. */
export function PausedNotice({
  pause,
  items = "images",
}: {
  pause: { reason: string; resumeAt: string | null };
  /** what waits in line: "images", "reports" */
  items?: string;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = pause.resumeAt ? Math.ceil((Date.parse(pause.resumeAt) - now) / 1000) : null;
  const when =
    seconds === null ? "" : seconds > 0 ? `, retrying in ${formatWait(seconds)}` : ", retrying now";
  return (
    <div
      role="status"
      data-testid="paused-notice"
      className="mt-3 rounded-md border border-orange-200 bg-orange-50 px-3 py-2 text-sm text-orange-900"
    >
      <p>
        <strong>Paused:</strong> {pause.reason}
        {when}.
      </p>
      <p className="mt-1 text-xs text-orange-800">
        Nothing fails because of this and no attempt is spent: the waiting {items} stay in line, and
        the job resumes by itself, waiting longer each time, once a test file can be stored again.
        Retry now to try at once.
      </p>
    </div>
  );
}
