// One DataHaul per data folder (the embedded default keeps its database, files and queue there).
// The lock is SQLite's own file lock on `instance.lock`, taken in exclusive mode and held for the
// life of the process: the operating system drops it when the process ends, kill -9 included, so
// a crash never leaves a stale lock and a reused pid never looks like a running server.
// Plain JavaScript: `npm start` takes the lock before it migrates, and the server takes it at boot.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export class InstanceLockedError extends Error {
  constructor(message) {
    super(message);
    this.name = "InstanceLockedError";
  }
}

function readHolder(infoFile) {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, "utf8"));
    return Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

function writeHolder(infoFile, info) {
  const temp = `${infoFile}.${process.pid}`;
  fs.writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(temp, infoFile);
}

// the connections that hold locks: a dropped connection would be closed by the garbage collector
const held = new Set();

/**
 * Takes the data folder's lock for this process, or throws InstanceLockedError naming the process
 * that holds it. `instance.json` beside the lock says who holds it (pid, port), for that message.
 */
export function acquireInstanceLock(dataDir, { port }) {
  fs.mkdirSync(dataDir, { recursive: true });
  const infoFile = path.join(dataDir, "instance.json");
  const lock = new Database(path.join(dataDir, "instance.lock"), { timeout: 0 });
  try {
    lock.pragma("journal_mode = MEMORY");
    lock.pragma("locking_mode = EXCLUSIVE");
    // in exclusive mode the lock a write transaction takes is kept until the connection closes
    lock.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    lock.close();
    if (error?.code !== "SQLITE_BUSY") throw error;
    const holder = readHolder(infoFile);
    throw new InstanceLockedError(
      holder
        ? `DataHaul is already running on this data folder (pid ${holder.pid}, port ${holder.port})`
        : "DataHaul is already running on this data folder",
    );
  }
  held.add(lock);
  const info = { pid: process.pid, port, dataDir, startedAt: new Date().toISOString() };
  writeHolder(infoFile, info);
  return {
    /** Adds facts about the holder (the server's own pid) to what a refused start reads. */
    describe(extra) {
      Object.assign(info, extra);
      writeHolder(infoFile, info);
    },
    release() {
      fs.rmSync(infoFile, { force: true });
      held.delete(lock);
      lock.close();
    },
  };
}
