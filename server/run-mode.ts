/** What this process runs: pages and the API, the worker (and scheduler), or both (embedded). */
export type TRunMode = "web" | "worker" | "all";

export type TRunModeInput = {
  RUN_MODE?: TRunMode;
  /** the older switch: true is RUN_MODE=all, false is RUN_MODE=web */
  RUN_WORKER?: "true" | "false";
  QUEUE: "in-process" | "bullmq";
  /** shared storage is read by processes on other hosts, which need the same secrets */
  STORAGE?: "local" | "s3";
  AUTH_SECRET?: string;
  SECRET_KEY?: string;
};

export type TRunModeResult =
  { isOk: true; runMode: TRunMode; isEmbedded: boolean } | { isOk: false; problems: string[] };

/**
 * Decides the run mode and refuses combinations that would start but not work, each with a
 * sentence naming the variables. Pure, so every rule is tested without a process (env.ts calls it).
 */
export function resolveRunMode(input: TRunModeInput): TRunModeResult {
  const problems: string[] = [];
  const fromRunWorker: TRunMode | undefined =
    input.RUN_WORKER === undefined ? undefined : input.RUN_WORKER === "true" ? "all" : "web";
  const runMode = input.RUN_MODE ?? fromRunWorker ?? "all";
  if (
    input.RUN_MODE &&
    input.RUN_WORKER &&
    (input.RUN_MODE === "web") !== (input.RUN_WORKER === "false")
  )
    problems.push(
      `RUN_WORKER: RUN_WORKER=${input.RUN_WORKER} contradicts RUN_MODE=${input.RUN_MODE}; RUN_WORKER is the older name, set RUN_MODE alone.`,
    );
  if (runMode !== "all" && input.QUEUE !== "bullmq")
    problems.push(
      runMode === "web"
        ? `RUN_MODE: RUN_MODE=web${input.RUN_MODE ? "" : " (RUN_WORKER=false)"} needs QUEUE=bullmq and REDIS_URL: with the in-process queue no worker would ever see the jobs this process accepts, and they would stay queued forever. Leave RUN_MODE unset (all) to run everything in one process.`
        : "RUN_MODE: RUN_MODE=worker needs QUEUE=bullmq and REDIS_URL: with the in-process queue it would never hear of the jobs a web process accepts. Leave RUN_MODE unset (all) to run everything in one process.",
    );
  const isEmbedded = runMode === "all" && input.QUEUE === "in-process";
  const missing = (["AUTH_SECRET", "SECRET_KEY"] as const).filter((name) => !input[name]);
  const isShared = !isEmbedded || input.STORAGE === "s3";
  if (isShared && missing.length > 0)
    problems.push(
      `${missing.join(", ")}: ${missing.join(" and ")} must be set when processes share a queue or storage (QUEUE=bullmq, RUN_MODE=web/worker or STORAGE=s3): every process must use the same ${missing.length === 1 ? "value" : "values"}, and each would otherwise generate its own in its data folder, so sessions or connector secrets made on one would not open on another.`,
    );
  return problems.length > 0 ? { isOk: false, problems } : { isOk: true, runMode, isEmbedded };
}
