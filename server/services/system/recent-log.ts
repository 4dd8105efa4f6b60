import "server-only";
import os from "node:os";
import { env } from "@/server/env";
import { listRecentWarnings, RECENT_WARNINGS_KEPT, type TLogLine } from "@/server/logger";

export type TRecentLog = {
  lines: TLogLine[];
  /** the process whose memory the lines come from: the one that answered this request */
  host: string;
  pid: number;
  /** whether that process runs the worker too (the embedded default): then its lines are here */
  isWorkerHere: boolean;
  kept: number;
};

/** The answering process's latest warn and error lines, newest first; every process keeps its own. */
export function readRecentLog(): TRecentLog {
  return {
    lines: listRecentWarnings(),
    host: os.hostname(),
    pid: process.pid,
    isWorkerHere: env.runMode !== "web",
    kept: RECENT_WARNINGS_KEPT,
  };
}
