import { createReadStream } from "node:fs";
import { lstat, mkdir, open, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ZFolderSecrets, ZFolderSettings } from "./schemas";
import { describeFileError } from "@/server/storage/describe-storage-fault";
import { deliveryFileNames } from "./file-name-template";
import {
  checkedCopyOf,
  countFiles,
  deliverEach,
  parseDeliveryInput,
  tempNameFor,
  throwIfCancelled,
} from "./shared";
import {
  DeliveryError,
  type TDeliveredFile,
  type TDeliveryFile,
  type TDeliveryKind,
} from "./types";

export type TFolderDeliveryOptions = {
  /**
   * The one folder deliveries may write under (DELIVERY_FOLDER_ROOT). Given by the caller rather
   * than read here, so tests and several roots need no environment; unset switches folder
   * deliveries off.
   */
  root: string | undefined;
};

type TTargetFolder = {
  /** as the admin configured it, for messages: /mnt/share/reports */
  shown: string;
  /** with every link resolved: where the files really go */
  real: string;
};

const code = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/**
 * The folder a delivery writes to, created when missing, and proved to be inside the root after
 * every link on the way is followed. The folders are made one at a time from the root's real
 * path, each checked before the next is made in it: `mkdir -p` through a link to /etc would
 * create folders outside the root before any check could refuse them.
 */
async function openTargetFolder(root: string | undefined, subPath: string): Promise<TTargetFolder> {
  if (!root) {
    throw new DeliveryError(
      "folder deliveries are switched off: set DELIVERY_FOLDER_ROOT to the folder they may write in",
      { isPermanent: true },
    );
  }
  const shownRoot = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = await realpath(shownRoot);
    if (!(await stat(realRoot)).isDirectory())
      throw Object.assign(new Error(), { code: "ENOTDIR" });
  } catch (error) {
    const reason =
      code(error) === "ENOENT"
        ? "does not exist"
        : code(error) === "ENOTDIR"
          ? "is not a folder"
          : `cannot be opened (${describeFileError(error)})`;
    throw new DeliveryError(`the delivery root ${shownRoot} ${reason}`, { isPermanent: true });
  }

  const outside = (shown: string, where?: string) =>
    new DeliveryError(
      `the folder ${shown} is outside the delivery root ${shownRoot}${where ? ` (it leads to ${where})` : ""}`,
      { isPermanent: true },
    );
  if (path.isAbsolute(subPath) || path.win32.isAbsolute(subPath)) {
    throw new DeliveryError(
      `the folder ${subPath} is an absolute path: give a folder under the delivery root ${shownRoot}, such as reports/daily`,
      { isPermanent: true },
    );
  }
  const segments = subPath.split(/[\\/]+/).filter((segment) => segment !== "" && segment !== ".");
  const shown = path.join(shownRoot, ...segments);
  if (segments.includes("..")) throw outside(path.join(shownRoot, subPath));
  if (!isInside(shownRoot, shown)) throw outside(shown);

  let current = realRoot;
  for (const [index, segment] of segments.entries()) {
    const next = path.join(current, segment);
    const shownHere = path.join(shownRoot, ...segments.slice(0, index + 1));
    let real: string;
    try {
      real = await realpath(next);
    } catch (error) {
      if (code(error) !== "ENOENT") {
        throw new DeliveryError(
          `the folder ${shownHere} cannot be opened (${describeFileError(error)})`,
        );
      }
      // realpath says ENOENT for a link to nowhere too: making a folder there would follow it
      if ((await lstat(next).catch(() => null))?.isSymbolicLink()) {
        throw new DeliveryError(
          `the folder ${shownHere} is a link to a place that does not exist`,
          {
            isPermanent: true,
          },
        );
      }
      try {
        await mkdir(next);
      } catch (mkdirError) {
        // another delivery made it a moment ago: it is checked like any existing folder
        if (code(mkdirError) !== "EEXIST") {
          throw new DeliveryError(
            `the folder ${shownHere} could not be created (${describeFileError(mkdirError)})`,
          );
        }
      }
      real = await realpath(next);
    }
    if (!isInside(realRoot, real)) throw outside(shownHere, real);
    if (!(await stat(real)).isDirectory()) {
      throw new DeliveryError(`${shownHere} is a file, not a folder`, { isPermanent: true });
    }
    current = real;
  }
  return { shown, real: current };
}

/** A rename is durable once the folder that holds it is on disk; some file systems refuse to sync a folder. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r").catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL on file systems without folder sync (some network shares): the rename still stands
  } finally {
    await handle.close();
  }
}

/**
 * One file into the folder, all or nothing: its bytes go to a hidden temp name beside it, are
 * checked against the run's hash and flushed to disk, and only then take the real name in one
 * rename. A reader of the share sees the old file or the whole new one, never a half-written one,
 * and a failure leaves no temp file behind.
 */
async function writeAtomically(
  file: TDeliveryFile,
  name: string,
  folder: TTargetFolder,
  signal: AbortSignal | undefined,
): Promise<void> {
  const shownTarget = path.join(folder.shown, name);
  if (path.basename(name) !== name || name === "." || name === "..") {
    throw new DeliveryError(`the file name ${name} is not a plain file name`, {
      isPermanent: true,
    });
  }
  const target = path.join(folder.real, name);
  if ((await lstat(target).catch(() => null))?.isDirectory()) {
    throw new DeliveryError(`${shownTarget} is a folder: a file of that name cannot replace it`, {
      isPermanent: true,
    });
  }
  const temp = path.join(folder.real, tempNameFor(name));
  let isRenamed = false;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await pipeline(
        createReadStream(file.path),
        checkedCopyOf(file),
        // written through the handle itself, so the sync below flushes what was written
        async (chunks: AsyncIterable<Buffer>) => {
          for await (const chunk of chunks) {
            // a write may take part of a chunk (a network share under load): the rest follows
            for (let at = 0; at < chunk.length;) {
              at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
            }
          }
        },
        { signal },
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    isRenamed = true;
    await syncFolder(folder.real);
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
    if (code(error) === "ENOENT" && !(await stat(file.path).catch(() => null))) {
      throw new DeliveryError(`the file ${file.name} to deliver is missing on our side`);
    }
    throw new DeliveryError(`${shownTarget} could not be written (${describeFileError(error)})`, {
      cause: error,
    });
  } finally {
    if (!isRenamed) await rm(temp, { force: true });
  }
}

export function createFolderDelivery(
  options: TFolderDeliveryOptions,
): TDeliveryKind<typeof ZFolderSettings, typeof ZFolderSecrets> {
  return {
    kind: "folder",
    label: "Folder",
    settingsSchema: ZFolderSettings,
    secretsSchema: ZFolderSecrets,

    async deliver(rawSettings, _secrets, files, context) {
      const settings = parseDeliveryInput(
        ZFolderSettings,
        rawSettings,
        "folder delivery's settings",
      );
      throwIfCancelled(context.signal);
      const folder = await openTargetFolder(options.root, settings.subPath);
      const names = deliveryFileNames(files, settings.fileNameTemplate, context);
      const delivered = await deliverEach(
        files,
        async (file, index): Promise<TDeliveredFile> => {
          const name = names[index]!;
          await writeAtomically(file, name, folder, context.signal);
          return {
            name: file.name,
            deliveredAs: name,
            bytes: file.bytes,
            location: path.join(folder.shown, name),
          };
        },
        context.signal,
      );
      return {
        message: `${countFiles(delivered.length)} written to ${folder.shown}`,
        files: delivered,
      };
    },

    async test(rawSettings, _secrets, testOptions = {}) {
      const settings = parseDeliveryInput(
        ZFolderSettings,
        rawSettings,
        "folder delivery's settings",
      );
      throwIfCancelled(testOptions.signal);
      const folder = await openTargetFolder(options.root, settings.subPath);
      const probe = path.join(folder.real, tempNameFor("datahaul-test"));
      try {
        const handle = await open(probe, "wx", 0o644);
        try {
          await handle.writeFile("DataHaul test file: safe to remove\n");
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw new DeliveryError(`${folder.shown} is not writable (${describeFileError(error)})`);
      } finally {
        await rm(probe, { force: true });
      }
      return `DataHaul can write to ${folder.shown} (a test file was written and removed)`;
    },
  };
}
