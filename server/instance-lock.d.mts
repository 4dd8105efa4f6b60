export class InstanceLockedError extends Error {}

export type TInstanceLock = {
  describe(extra: Record<string, unknown>): void;
  release(): void;
};

export function acquireInstanceLock(dataDir: string, options: { port: number }): TInstanceLock;
