import { describe, expect, it, vi } from "vitest";
import { pauseUntil } from "./job-kind";

describe("pauseUntil", () => {
  it("ends at once on a signal that has already aborted", async () => {
    vi.useFakeTimers();
    try {
      const controller = new AbortController();
      controller.abort();
      let isDone = false;
      void pauseUntil(120_000, controller.signal).done.then(() => (isDone = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(isDone).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ends when the time is up, when the signal aborts, or when woken, whichever comes first", async () => {
    vi.useFakeTimers();
    try {
      const ended: string[] = [];
      const controller = new AbortController();
      const timed = pauseUntil(1_000, new AbortController().signal);
      const aborted = pauseUntil(60_000, controller.signal);
      const woken = pauseUntil(60_000, new AbortController().signal);
      for (const [name, pause] of Object.entries({ timed, aborted, woken }))
        void pause.done.then(() => ended.push(name));
      await vi.advanceTimersByTimeAsync(999);
      expect(ended).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(ended).toEqual(["timed"]);
      controller.abort();
      await vi.advanceTimersByTimeAsync(0);
      expect(ended).toEqual(["timed", "aborted"]);
      woken.wake();
      await vi.advanceTimersByTimeAsync(0);
      expect(ended).toEqual(["timed", "aborted", "woken"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
