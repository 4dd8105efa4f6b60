import { setMaxListeners } from "node:events";
import { z } from "zod";
import { createRedisChannel } from "./redis-channel";

// Jobs running in this process, so a cancel or delete can stop their work at once.
const globalForRunning = globalThis as unknown as {
  datahaulRunningJobs?: Map<string, AbortController>;
  datahaulJobCommands?: JobCommandChannel;
  datahaulDraining?: AbortController;
};
const runningJobs = (globalForRunning.datahaulRunningJobs ??= new Map());
const draining = (globalForRunning.datahaulDraining ??= new AbortController());

/**
 * Aborts when this process begins to shut down: running jobs finish the work they have in flight,
 * claim nothing new and return, so the rest of each job goes to another worker (or the next start).
 */
export function drainSignal(): AbortSignal {
  return draining.signal;
}

export function startDraining(): void {
  draining.abort();
}

/** Registers a running job; its signal aborts on cancel or when `queueSignal` aborts (shutdown). */
export function trackRunningJob(
  jobId: string,
  queueSignal: AbortSignal,
): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  // every request in flight listens on this one signal
  setMaxListeners(0, controller.signal);
  const onQueueAbort = () => controller.abort();
  queueSignal.addEventListener("abort", onQueueAbort, { once: true });
  runningJobs.set(jobId, controller);
  return {
    signal: controller.signal,
    done() {
      if (runningJobs.get(jobId) === controller) runningJobs.delete(jobId);
      queueSignal.removeEventListener("abort", onQueueAbort);
    },
  };
}

function abortHere(jobId: string): void {
  runningJobs.get(jobId)?.abort();
}

/** A command for whichever process runs a job (only one today: stop it, for cancel and delete). */
export const ZJobCommand = z.object({ type: z.literal("abort"), jobId: z.string() });
export type TJobCommand = z.infer<typeof ZJobCommand>;

export interface JobCommandChannel {
  send(command: TJobCommand): Promise<void>;
  close(): Promise<void>;
}

/** The embedded default: the job runs here, if anywhere. */
export function createInProcessCommandChannel(): JobCommandChannel {
  return {
    send: async (command) => abortHere(command.jobId),
    close: async () => undefined,
  };
}

/**
 * Beside the progress channel: every process hears every command and acts on the jobs it runs, so
 * a cancel on any web process stops the job on whichever worker has it.
 */
export function createRedisCommandChannel(options: {
  redisUrl: string;
  prefix: string;
  onError: (error: unknown) => void;
}): JobCommandChannel & { ready: Promise<void> } {
  const channel = createRedisChannel({
    redisUrl: options.redisUrl,
    channel: `${options.prefix}:job-commands`,
    parse: (raw) => ZJobCommand.parse(raw),
    onError: options.onError,
  });
  channel.subscribe((command) => abortHere(command.jobId));
  return {
    ready: channel.ready,
    // a send rejects when Redis is unreachable: the cancel then fails instead of pretending
    send: channel.publish,
    close: channel.close,
  };
}

/** Installed by the runtime at start-up (runtime.ts); in-process until then. */
export function installJobCommandChannel(channel: JobCommandChannel): void {
  globalForRunning.datahaulJobCommands = channel;
}

/** Stops the job's work in whichever process runs it (this one, or a worker elsewhere). */
export async function abortRunningJob(jobId: string): Promise<void> {
  const channel = (globalForRunning.datahaulJobCommands ??= createInProcessCommandChannel());
  await channel.send({ type: "abort", jobId });
}
