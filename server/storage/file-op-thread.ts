import { Worker } from "node:worker_threads";

/**
 * Blobs stored by a thread of their own, synchronously, a batch per message. Through libuv's
 * thread pool every file operation is a hand-over to a pool thread and a wake-up back (open, write,
 * close and rename: four per stored image); on the 2-core virtual machines we measure on, those
 * hand-overs cost the event loop 50-70 µs per image and the process 120-160 µs. A batch of a
 * hundred files costs one message each way: 15 µs per image on the event loop, 80-95 in all.
 */
export type TFileOp =
  /**
   * New bytes at `path`, written in place with O_EXCL (no temp file, no rename). A file there
   * already is kept when it has the same size (same hash, same bytes), and replaced through a copy
   * in `stagingDir` when it is shorter: a process killed while writing left it so.
   */
  | { kind: "store"; path: string; data: Uint8Array; stagingDir: string }
  /** A finished temp file moved in; fails with EXDEV when the two are on different volumes. */
  | { kind: "move"; from: string; to: string };

export type TFileOpResult = { error?: { code?: string; message: string } };

/**
 * The thread's whole program, as source text: the server is bundled, so there is no module file to
 * start a thread from, and a bundler rewrites `require` in code it compiles. Each message is
 * `{ id, ops }` (TFileOp[]); the answer is `{ id, results }` (TFileOpResult[], in order). A folder
 * that is missing (new, or vanished under a volume mounted over the store) is made, and the
 * operation tried once more.
 */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const v8 = require("node:v8");
const vm = require("node:vm");

// The bytes moved here are freed only when this thread collects its garbage, and a thread that
// allocates almost nothing rarely does: without a nudge it held 60-70 MB of written images.
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc");
const BYTES_BETWEEN_COLLECTIONS = 16 * 1024 * 1024;
let bytesSinceCollection = 0;

function store(op) {
  try {
    fs.writeFileSync(op.path, op.data, { flag: "wx" });
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
    if (fs.statSync(op.path).size === op.data.length) return;
    fs.mkdirSync(op.stagingDir, { recursive: true });
    const incoming = path.join(op.stagingDir, crypto.randomUUID() + ".incoming");
    fs.writeFileSync(incoming, op.data);
    fs.renameSync(incoming, op.path);
  }
}

function run(op) {
  if (op.kind === "store") store(op);
  else fs.renameSync(op.from, op.to);
}

function runWithFolder(op) {
  try {
    run(op);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    fs.mkdirSync(path.dirname(op.kind === "store" ? op.path : op.to), { recursive: true });
    run(op);
  }
}

parentPort.on("message", ({ id, ops }) => {
  const results = ops.map((op) => {
    try {
      runWithFolder(op);
      return {};
    } catch (error) {
      return { error: { code: error.code, message: error.message } };
    }
  });
  parentPort.postMessage({ id, results });
  for (const op of ops) if (op.kind === "store") bytesSinceCollection += op.data.length;
  if (bytesSinceCollection >= BYTES_BETWEEN_COLLECTIONS) {
    bytesSinceCollection = 0;
    ops.length = 0;
    collectGarbage();
  }
});
`;

export type TFileOpThread = {
  /** Runs the operations in order; their bytes are moved to the thread (the views are emptied). */
  run(ops: TFileOp[]): Promise<TFileOpResult[]>;
  close(): Promise<void>;
};

/** Starts the thread when first needed; if it dies, what it had fails and the next batch starts a new one. */
export function createFileOpThread(): TFileOpThread {
  let worker: Worker | null = null;
  let nextId = 0;
  const waiting = new Map<
    number,
    { resolve: (results: TFileOpResult[]) => void; reject: (error: Error) => void }
  >();

  const start = (): Worker => {
    const started = new Worker(THREAD_SOURCE, { eval: true });
    // it never keeps the process alive on its own
    started.unref();
    started.on("message", ({ id, results }: { id: number; results: TFileOpResult[] }) => {
      const entry = waiting.get(id);
      waiting.delete(id);
      entry?.resolve(results);
    });
    const fail = (error: Error) => {
      if (worker === started) worker = null;
      for (const entry of waiting.values()) entry.reject(error);
      waiting.clear();
    };
    started.on("error", fail);
    started.on("exit", (code) => fail(new Error(`the file thread stopped (exit ${code})`)));
    return started;
  };

  return {
    run(ops) {
      if (ops.length === 0) return Promise.resolve([]);
      worker ??= start();
      const id = nextId++;
      const promise = new Promise<TFileOpResult[]>((resolve, reject) =>
        waiting.set(id, { resolve, reject }),
      );
      // Moved, not copied: a copy would wait in this thread's heap and the other's until each
      // collects its garbage (+75 MB for 300 MB stored, measured), a move only in the other's.
      // Only bodies that own their whole memory can move; a view into a larger buffer is copied.
      const transfer = new Set<ArrayBuffer>();
      for (const op of ops) {
        if (op.kind !== "store") continue;
        const { buffer, byteOffset, byteLength } = op.data;
        if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength)
          transfer.add(buffer);
      }
      worker.postMessage({ id, ops }, [...transfer]);
      return promise;
    },
    async close() {
      const stopping = worker;
      worker = null;
      await stopping?.terminate();
    },
  };
}
