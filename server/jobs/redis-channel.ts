import { EventEmitter } from "node:events";
import { Redis } from "ioredis";

export type TRedisChannel<T> = {
  /** resolves once this process listens, so nothing published after it is missed */
  ready: Promise<void>;
  publish(message: T): Promise<void>;
  /** every message on the channel, this process's own included */
  subscribe(listener: (message: T) => void): () => void;
  close(): Promise<void>;
};

/**
 * One Redis pub/sub channel carrying JSON messages between processes (progress, commands). A
 * subscribed Redis connection can do nothing else, so each channel has two: one to publish on and
 * one that listens. Messages from other processes are parsed before anyone sees them: a message
 * that does not parse is reported and dropped.
 */
export function createRedisChannel<T>(options: {
  redisUrl: string;
  channel: string;
  parse: (raw: unknown) => T;
  onError: (error: unknown) => void;
}): TRedisChannel<T> {
  const publisher = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(options.redisUrl);
  const local = new EventEmitter().setMaxListeners(0);
  publisher.on("error", options.onError);
  subscriber.on("error", options.onError);
  subscriber.on("message", (channel: string, raw: string) => {
    if (channel !== options.channel) return;
    let message: T;
    try {
      message = options.parse(JSON.parse(raw));
    } catch (error) {
      options.onError(error);
      return;
    }
    local.emit("message", message);
  });
  // ioredis subscribes again by itself after a reconnection
  const ready = subscriber.subscribe(options.channel).then(() => undefined);
  ready.catch(options.onError);

  return {
    ready,
    async publish(message) {
      await publisher.publish(options.channel, JSON.stringify(message));
    },
    subscribe(listener) {
      local.on("message", listener);
      return () => local.off("message", listener);
    },
    async close() {
      local.removeAllListeners();
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
