import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import SftpClient from "ssh2-sftp-client";
import type { Client as SshClient } from "ssh2";
import { z } from "@/server/forms/zod";
import { FINGERPRINT, ZSftpSecrets, ZSftpSettings } from "./schemas";
import { deliveryFileNames } from "./file-name-template";
import {
  checkedCopyOf,
  countFiles,
  deliverEach,
  firstLine,
  parseDeliveryInput,
  tempNameFor,
  throwIfCancelled,
} from "./shared";
import {
  DeliveryError,
  type TDeliveredFile,
  type TDeliveryContext,
  type TDeliveryFile,
  type TDeliveryKind,
  type TDeliveryResult,
} from "./types";

const CONNECT_TIMEOUT_MS = 20_000;

type TSftpSettings = z.output<typeof ZSftpSettings>;
type TSftpSecrets = z.output<typeof ZSftpSecrets>;

/** A host key as OpenSSH names it: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

function normaliseFingerprint(value: string): string | null {
  const match = FINGERPRINT.exec(value.trim());
  return match ? `SHA256:${match[1]}` : null;
}

type TSession = {
  client: SftpClient;
  /** rejects once the delivery is cancelled (the connection is dropped then) */
  cancelled: Promise<never>;
  dispose: () => void;
  fingerprint: string;
  /** the remote folder, absolute as the server sees it: for messages and locations */
  folder: string;
  /** the folder as paths are written to the server */
  remoteDirectory: string;
};

const where = (settings: TSftpSettings) => `${settings.host}:${settings.port}`;

/** SFTP's status codes (RFC draft 02, §7), as the library passes them on in `code` */
const SFTP_STATUS: Record<number, string> = {
  2: "no such file or folder",
  3: "permission denied",
  4: "the server reported a failure, such as a full disk or quota",
  8: "the server does not support this",
};

/**
 * The reason of a failed step: the SFTP status in words, else the library's message without the
 * method names it puts in front ("put: _put: Write stream error: …").
 */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number" && SFTP_STATUS[code]) return SFTP_STATUS[code];
  return firstLine(error).replace(
    /^(?:[\w>-]+: |(?:Re-thrown|Write stream error|Read stream error): )+/,
    "",
  );
}

function describeSshError(
  error: unknown,
  settings: TSftpSettings,
  secrets: TSftpSecrets,
): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const message = firstLine(error);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const permanent = (text: string) => new DeliveryError(text, { isPermanent: true, cause: error });
  if (/All configured authentication methods failed/i.test(message)) {
    const credential =
      secrets.privateKey && secrets.password
        ? "the key and the password"
        : secrets.privateKey
          ? "the key"
          : "the password";
    return permanent(
      `the SFTP server ${where(settings)} refused ${credential} of ${settings.username}`,
    );
  }
  if (/privateKey|passphrase|Unsupported key format|Encrypted private/i.test(message)) {
    return permanent(`the private key could not be read (${reasonOf(error)})`);
  }
  if (code === "ECONNREFUSED" || /refused connection/i.test(message)) {
    const text = `${where(settings)} refused the connection (is an SFTP server listening there?)`;
    return new DeliveryError(text, { cause: error });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /Address lookup failed/i.test(message)) {
    return permanent(`the host ${settings.host} was not found`);
  }
  if (/Timed out while waiting for handshake/i.test(message) || code === "ETIMEDOUT") {
    return new DeliveryError(
      `no SSH answer from ${where(settings)} within ${CONNECT_TIMEOUT_MS / 1000} s`,
      { cause: error },
    );
  }
  if (/Permission denied/i.test(message)) {
    return permanent(`the SFTP server ${where(settings)} refused access (${reasonOf(error)})`);
  }
  return new DeliveryError(`SFTP on ${where(settings)} failed: ${reasonOf(error)}`, {
    cause: error,
  });
}

/**
 * A promise that rejects when the signal fires, after dropping the connection: every step races
 * it, so none waits on a server after a cancel. `dispose` stops listening once the session ends.
 */
function watchCancel(signal: AbortSignal | undefined, ssh: SshClient) {
  let dispose = () => undefined as void;
  const cancelled = new Promise<never>((_, reject) => {
    if (!signal) return;
    const cancel = () => {
      ssh.destroy();
      reject(new DeliveryError("the delivery was cancelled"));
    };
    if (signal.aborted) return cancel();
    signal.addEventListener("abort", cancel, { once: true });
    dispose = () => signal.removeEventListener("abort", cancel);
  });
  // raced at every step; a cancel after the last step has nobody left to tell
  cancelled.catch(() => undefined);
  return { cancelled, dispose: () => dispose() };
}

/**
 * Signs in, pinning the host key on first use: with no fingerprint stored any key is accepted and
 * its fingerprint returned for the caller to store; with one stored, a different key ends the
 * connection before a password or key is sent, since the server it belongs to may be an impostor.
 */
async function openSession(
  settings: TSftpSettings,
  secrets: TSftpSecrets,
  knownFingerprint: string | undefined,
  signal: AbortSignal | undefined,
): Promise<TSession> {
  const known = knownFingerprint ? normaliseFingerprint(knownFingerprint) : null;
  if (knownFingerprint && !known) {
    throw new DeliveryError(
      `the stored host key fingerprint is not one (expected SHA256:… as ssh-keygen -l prints it)`,
      { isPermanent: true },
    );
  }
  // the library's default listeners print to the console; its promises already carry every failure
  const client = new SftpClient("datahaul-delivery", {
    error: () => undefined,
    end: () => undefined,
    close: () => undefined,
  });
  const ssh = (client as unknown as { client: SshClient }).client;
  let presented: string | null = null;
  const { cancelled, dispose } = watchCancel(signal, ssh);
  try {
    await Promise.race([
      client.connect({
        host: settings.host,
        port: settings.port,
        username: settings.username,
        password: secrets.password || undefined,
        privateKey: secrets.privateKey || undefined,
        passphrase: secrets.passphrase || undefined,
        readyTimeout: CONNECT_TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          presented = hostKeyFingerprint(key);
          return known === null || presented === known;
        },
      }),
      cancelled,
    ]);
  } catch (error) {
    dispose();
    ssh.destroy();
    if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
    if (known && presented && presented !== known) {
      throw new DeliveryError(
        `the SFTP server ${where(settings)} presented the host key ${presented}, but ${known} was recorded when DataHaul first connected to it; nothing was sent. If the server's key was changed on purpose, clear the stored fingerprint to accept the new one; otherwise someone may be intercepting the connection`,
        { isPermanent: true },
      );
    }
    throw describeSshError(error, settings, secrets);
  }
  if (!presented) {
    dispose();
    ssh.destroy();
    throw new DeliveryError(`the SFTP server ${where(settings)} showed no host key`);
  }
  try {
    const remoteDirectory = settings.remoteDirectory === "" ? "." : settings.remoteDirectory;
    const type = await Promise.race([client.exists(remoteDirectory), cancelled]);
    // a link is judged by where it leads: a linked folder is as good as a folder
    const isFolder =
      type === "d" ||
      (type === "l" && (await Promise.race([client.stat(remoteDirectory), cancelled])).isDirectory);
    if (type === false) await Promise.race([client.mkdir(remoteDirectory, true), cancelled]);
    else if (!isFolder) {
      throw new DeliveryError(`${remoteDirectory} on ${where(settings)} is a file, not a folder`, {
        isPermanent: true,
      });
    }
    const folder = await Promise.race([client.realPath(remoteDirectory), cancelled]);
    return {
      client,
      cancelled,
      dispose,
      fingerprint: presented,
      folder: folder || remoteDirectory,
      remoteDirectory,
    };
  } catch (error) {
    dispose();
    ssh.destroy();
    if (error instanceof DeliveryError) throw error;
    throw new DeliveryError(
      `the remote folder ${settings.remoteDirectory || "(sign-in folder)"} on ${where(settings)} cannot be used (${reasonOf(error)})`,
      { cause: error },
    );
  }
}

async function closeSession(session: TSession): Promise<void> {
  session.dispose();
  await session.client.end().catch(() => undefined);
}

const isUnsupportedExtension = (error: unknown) =>
  /does not support this extended request/i.test(firstLine(error));

/**
 * The temp file takes the real name. OpenSSH's posix-rename replaces an old file in one step;
 * SFTP's own rename refuses to replace one, so without the extension the old file is removed
 * first, which leaves a moment with no file under the name (never a half-written one).
 */
async function renameIntoPlace(client: SftpClient, temp: string, target: string): Promise<void> {
  try {
    await client.posixRename(temp, target);
    return;
  } catch (error) {
    if (!isUnsupportedExtension(error)) throw error;
  }
  try {
    await client.rename(temp, target);
    return;
  } catch (error) {
    const existing = await client.exists(target).catch(() => false);
    if (existing === false) throw error;
    if (existing === "d")
      throw new DeliveryError(`${target} is a folder: a file of that name cannot replace it`);
  }
  await client.delete(target);
  await client.rename(temp, target);
}

/**
 * One file to the server: its bytes stream to a temp name in the remote folder (created new, so
 * two deliveries never write into one file), the size the server holds is checked, and only then
 * it takes its real name. A failure removes the temp file.
 */
async function uploadOne(
  session: TSession,
  settings: TSftpSettings,
  file: TDeliveryFile,
  name: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const { client, cancelled } = session;
  const temp = path.posix.join(session.remoteDirectory, tempNameFor(name));
  const target = path.posix.join(session.remoteDirectory, name);
  const source = createReadStream(file.path);
  const body = source.pipe(checkedCopyOf(file));
  source.once("error", (error) => body.destroy(error));
  let isRenamed = false;
  try {
    try {
      await Promise.race([
        client.put(body, temp, {
          // "wx": a new file or nothing; ssh2 knows the flag, the library's types do not
          writeStreamOptions: { flags: "wx" as "w", mode: 0o644 },
        }),
        cancelled,
      ]);
    } catch (error) {
      // the local side failed: the file changed under the run, or is gone
      if (body.errored instanceof DeliveryError) throw body.errored;
      if ((source.errored as NodeJS.ErrnoException | null)?.code === "ENOENT") {
        throw new DeliveryError(`the file ${file.name} to deliver is missing on our side`);
      }
      throw error;
    }
    // ssh2-sftp-client's put can resolve after the server refused a write (the stream closes
    // before its error is seen): what the server holds is the proof, not the promise
    const stored = await Promise.race([client.stat(temp), cancelled]);
    if (stored.size !== file.bytes) {
      const count = (n: number) => n.toLocaleString("en-US");
      throw new DeliveryError(
        `${file.name} did not arrive whole on ${where(settings)}: it kept ${count(stored.size)} of ${count(file.bytes)} bytes (is its disk full?)`,
      );
    }
    await Promise.race([renameIntoPlace(client, temp, target), cancelled]);
    isRenamed = true;
  } catch (error) {
    if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
    if (error instanceof DeliveryError) throw error;
    throw new DeliveryError(
      `${file.name} could not be written to ${session.folder} on ${where(settings)} (${reasonOf(error)})`,
      { cause: error },
    );
  } finally {
    source.destroy();
    // after a cancel the connection is gone: the temp file stays, hidden, under its temp name
    if (!isRenamed && !signal?.aborted) await client.delete(temp, true).catch(() => undefined);
  }
  return path.posix.join(session.folder, name);
}

/**
 * The generic `deliver` with the pinned fingerprint passed in explicitly; the result's
 * `fingerprint` is the key the server showed, to be stored when none was.
 */
export async function deliverBySftp(
  rawSettings: z.input<typeof ZSftpSettings>,
  rawSecrets: z.input<typeof ZSftpSecrets>,
  files: TDeliveryFile[],
  context: TDeliveryContext,
  options: { knownFingerprint?: string } = {},
): Promise<TDeliveryResult & { fingerprint: string }> {
  const settings = parseDeliveryInput(ZSftpSettings, rawSettings, "SFTP delivery's settings");
  const secrets = parseDeliveryInput(ZSftpSecrets, rawSecrets, "SFTP delivery's secrets");
  throwIfCancelled(context.signal);
  const names = deliveryFileNames(files, settings.fileNameTemplate, context);
  const known = options.knownFingerprint || settings.hostKeyFingerprint || undefined;
  const session = await openSession(settings, secrets, known, context.signal);
  try {
    const delivered = await deliverEach(
      files,
      async (file, index): Promise<TDeliveredFile> => {
        const remotePath = await uploadOne(session, settings, file, names[index]!, context.signal);
        return {
          name: file.name,
          deliveredAs: names[index]!,
          bytes: file.bytes,
          location: `sftp://${where(settings)}${remotePath.startsWith("/") ? "" : "/"}${remotePath}`,
        };
      },
      context.signal,
    );
    const recorded = known ? "" : ` (host key ${session.fingerprint} recorded)`;
    return {
      message: `${countFiles(delivered.length)} uploaded to ${session.folder} on ${where(settings)}${recorded}`,
      files: delivered,
      fingerprint: session.fingerprint,
    };
  } finally {
    await closeSession(session);
  }
}

/** Signs in, writes and removes a test file in the remote folder, and says so with the host key. */
export async function testSftp(
  rawSettings: z.input<typeof ZSftpSettings>,
  rawSecrets: z.input<typeof ZSftpSecrets>,
  options: { knownFingerprint?: string; signal?: AbortSignal } = {},
): Promise<{ message: string; fingerprint: string }> {
  const settings = parseDeliveryInput(ZSftpSettings, rawSettings, "SFTP delivery's settings");
  const secrets = parseDeliveryInput(ZSftpSecrets, rawSecrets, "SFTP delivery's secrets");
  const known = options.knownFingerprint || settings.hostKeyFingerprint || undefined;
  const session = await openSession(settings, secrets, known, options.signal);
  const probe = path.posix.join(session.remoteDirectory, tempNameFor("datahaul-test"));
  try {
    await Promise.race([
      session.client.put(Buffer.from("DataHaul test file: safe to remove\n"), probe, {
        writeStreamOptions: { flags: "wx" as "w", mode: 0o644 },
      }),
      session.cancelled,
    ]);
    await Promise.race([session.client.delete(probe), session.cancelled]);
  } catch (error) {
    if (options.signal?.aborted) throw new DeliveryError("the test was cancelled");
    await session.client.delete(probe, true).catch(() => undefined);
    throw new DeliveryError(
      `signed in to ${where(settings)}, but ${session.folder} is not writable (${reasonOf(error)})`,
      { cause: error },
    );
  } finally {
    await closeSession(session);
  }
  const key = known
    ? `its host key ${session.fingerprint} matches the recorded one`
    : `its host key ${session.fingerprint} is recorded now`;
  return {
    message: `signed in to ${where(settings)} as ${settings.username} and wrote a test file in ${session.folder}; ${key}`,
    fingerprint: session.fingerprint,
  };
}

export function createSftpDelivery(): TDeliveryKind<typeof ZSftpSettings, typeof ZSftpSecrets> {
  return {
    kind: "sftp",
    label: "SFTP server",
    settingsSchema: ZSftpSettings,
    secretsSchema: ZSftpSecrets,
    deliver: (settings, secrets, files, context) =>
      deliverBySftp(settings, secrets, files, context),
    test: async (settings, secrets, options = {}) =>
      (await testSftp(settings, secrets, { signal: options.signal })).message,
  };
}
