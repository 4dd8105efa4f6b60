import { createHash, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Server, utils, type Connection, type SFTPWrapper } from "ssh2";

const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export type TSftpServerOptions = {
  username: string;
  password?: string;
  /** an OpenSSH public key line (`ssh-ed25519 AAAA…`) allowed to sign in */
  publicKey?: string;
  /**
   * Advertise OpenSSH's posix-rename extension. Without it the server acts as plain SFTP v3,
   * whose RENAME refuses to replace an existing file (as OpenSSH's own RENAME does).
   */
  posixRename?: boolean;
};

export type TLocalSftp = {
  host: string;
  port: number;
  /** the local folder the server serves as `/` */
  root: string;
  /** the host key's fingerprint, computed here from the key line as OpenSSH does */
  fingerprint: string;
  /** what clients asked, in order: "OPEN /x.csv wx", "RENAME /a /b", "POSIX-RENAME /a /b", "AUTH password" */
  operations: string[];
  /** a WRITE that would take a file past this many bytes fails as a full disk does; null heals */
  failWritesBeyond(bytes: number | null): void;
  /** WRITEs go unanswered (a stalled server) until the returned function is called */
  holdWrites(): () => void;
  close(): Promise<void>;
};

/** `SHA256:` and the unpadded base64 of the key blob's hash: what `ssh-keygen -l` prints. */
function fingerprintOfKeyLine(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1]!, "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

function statusOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return STATUS_CODE.NO_SUCH_FILE;
  if (code === "EACCES" || code === "EPERM") return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function attrsOf(stats: fs.Stats) {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

/** Two SSH strings (uint32 length, bytes) one after the other, as an extended request carries them. */
function readTwoStrings(data: Buffer): [string, string] {
  const firstLength = data.readUInt32BE(0);
  const first = data.subarray(4, 4 + firstLength).toString("utf8");
  const secondLength = data.readUInt32BE(4 + firstLength);
  const second = data.subarray(8 + firstLength, 8 + firstLength + secondLength).toString("utf8");
  return [first, second];
}

/**
 * The VERSION packet with the posix-rename extension named in it. ssh2's server always answers
 * with a bare VERSION, so the one outgoing packet is swapped on the wire: nothing else of the
 * library is changed, and if its insides move, the check below fails the test loudly.
 */
function advertisePosixRename(sftp: SFTPWrapper): void {
  const inner = sftp as unknown as {
    _protocol?: { channelData?: (id: number, data: Buffer) => void };
    outgoing?: { id: number };
  };
  const protocol = inner._protocol;
  if (typeof protocol?.channelData !== "function" || inner.outgoing === undefined) {
    throw new Error("ssh2's SFTP internals changed: the test server cannot advertise posix-rename");
  }
  const original = protocol.channelData.bind(protocol);
  let isSent = false;
  protocol.channelData = (id, data) => {
    if (!isSent && id === inner.outgoing!.id && data[4] === 2 /* SSH_FXP_VERSION */) {
      isSent = true;
      const name = Buffer.from("posix-rename@openssh.com");
      const value = Buffer.from("1");
      const body = Buffer.alloc(1 + 4 + 4 + name.length + 4 + value.length);
      let at = body.writeUInt8(2, 0);
      at = body.writeUInt32BE(3, at);
      at = body.writeUInt32BE(name.length, at);
      at += name.copy(body, at);
      at = body.writeUInt32BE(value.length, at);
      value.copy(body, at);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length);
      return original(id, Buffer.concat([length, body]));
    }
    return original(id, data);
  };
}

/**
 * A real SSH server (ssh2's Server) with an SFTP subsystem over a fresh temp folder, on 127.0.0.1
 * and a free port: password and public-key sign-in, a generated Ed25519 host key, files written
 * with the flags the client asks for (so "create new only" is honoured). close() stops it and
 * removes the folder.
 */
export async function startLocalSftp(options: TSftpServerOptions): Promise<TLocalSftp> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-sftp-"));
  const operations: string[] = [];
  let writeLimit: number | null = null;
  let heldAnswers: Array<() => void> | null = null;
  const hostKey = utils.generateKeyPairSync("ed25519");
  const allowedKey = options.publicKey ? utils.parseKey(options.publicKey) : null;
  if (allowedKey instanceof Error) throw allowedKey;
  const connections = new Set<Connection>();

  // every path the client sends is taken from `/`, so `..` cannot leave the folder
  const local = (remote: string) => path.join(root, path.posix.resolve("/", remote));
  const shown = (remote: string) => path.posix.resolve("/", remote);

  const serveSftp = (sftp: SFTPWrapper) => {
    const handles = new Map<number, { fd?: number; dir?: string[]; written: number }>();
    let nextHandle = 1;
    const newHandle = (entry: { fd?: number; dir?: string[] }) => {
      const id = nextHandle++;
      handles.set(id, { ...entry, written: 0 });
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32BE(id);
      return buffer;
    };
    const handleOf = (buffer: Buffer) =>
      buffer.length === 4 ? handles.get(buffer.readUInt32BE(0)) : undefined;
    const run = (reqid: number, action: () => void) => {
      try {
        action();
      } catch (error) {
        sftp.status(reqid, statusOf(error));
      }
    };

    sftp
      .on("REALPATH", (reqid, remote) => {
        sftp.name(reqid, [
          { filename: shown(remote), longname: shown(remote), attrs: {} as never },
        ]);
      })
      .on("STAT", (reqid, remote) =>
        run(reqid, () => sftp.attrs(reqid, attrsOf(fs.statSync(local(remote))))),
      )
      .on("LSTAT", (reqid, remote) =>
        run(reqid, () => sftp.attrs(reqid, attrsOf(fs.lstatSync(local(remote))))),
      )
      .on("FSTAT", (reqid, handle) => {
        const entry = handleOf(handle);
        if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
        run(reqid, () => sftp.attrs(reqid, attrsOf(fs.fstatSync(entry.fd!))));
      })
      .on("OPEN", (reqid, remote, flags) => {
        const flagText = utils.sftp.flagsToString(flags) ?? (flags & OPEN_MODE.WRITE ? "w" : "r");
        operations.push(`OPEN ${shown(remote)} ${flagText}`);
        run(reqid, () =>
          sftp.handle(reqid, newHandle({ fd: fs.openSync(local(remote), flagText, 0o644) })),
        );
      })
      .on("WRITE", (reqid, handle, offset, data) => {
        const entry = handleOf(handle);
        if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
        if (writeLimit !== null && offset + data.length > writeLimit) {
          return sftp.status(reqid, STATUS_CODE.FAILURE, "No space left on device");
        }
        const answer = () =>
          run(reqid, () => {
            fs.writeSync(entry.fd!, data, 0, data.length, offset);
            entry.written += data.length;
            sftp.status(reqid, STATUS_CODE.OK);
          });
        if (heldAnswers) heldAnswers.push(answer);
        else answer();
      })
      .on("READ", (reqid, handle, offset, length) => {
        const entry = handleOf(handle);
        if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
        run(reqid, () => {
          const buffer = Buffer.alloc(length);
          const read = fs.readSync(entry.fd!, buffer, 0, length, offset);
          if (read === 0) sftp.status(reqid, STATUS_CODE.EOF);
          else sftp.data(reqid, buffer.subarray(0, read));
        });
      })
      .on("CLOSE", (reqid, handle) => {
        const entry = handleOf(handle);
        if (!entry) return sftp.status(reqid, STATUS_CODE.FAILURE);
        handles.delete(handle.readUInt32BE(0));
        run(reqid, () => {
          if (entry.fd !== undefined) fs.closeSync(entry.fd);
          sftp.status(reqid, STATUS_CODE.OK);
        });
      })
      .on("FSETSTAT", (reqid, handle, attrs) => {
        const entry = handleOf(handle);
        if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
        run(reqid, () => {
          if (attrs.mode !== undefined) fs.fchmodSync(entry.fd!, attrs.mode & 0o7777);
          sftp.status(reqid, STATUS_CODE.OK);
        });
      })
      .on("SETSTAT", (reqid, remote, attrs) =>
        run(reqid, () => {
          if (attrs.mode !== undefined) fs.chmodSync(local(remote), attrs.mode & 0o7777);
          sftp.status(reqid, STATUS_CODE.OK);
        }),
      )
      .on("OPENDIR", (reqid, remote) =>
        run(reqid, () => sftp.handle(reqid, newHandle({ dir: fs.readdirSync(local(remote)) }))),
      )
      .on("READDIR", (reqid, handle) => {
        const entry = handleOf(handle);
        if (!entry?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE);
        if (entry.dir.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        const names = entry.dir.splice(0);
        sftp.name(
          reqid,
          names.map((name) => ({ filename: name, longname: name, attrs: {} as never })),
        );
      })
      .on("MKDIR", (reqid, remote) => {
        operations.push(`MKDIR ${shown(remote)}`);
        run(reqid, () => {
          fs.mkdirSync(local(remote));
          sftp.status(reqid, STATUS_CODE.OK);
        });
      })
      .on("REMOVE", (reqid, remote) => {
        operations.push(`REMOVE ${shown(remote)}`);
        run(reqid, () => {
          fs.unlinkSync(local(remote));
          sftp.status(reqid, STATUS_CODE.OK);
        });
      })
      .on("RMDIR", (reqid, remote) =>
        run(reqid, () => {
          fs.rmdirSync(local(remote));
          sftp.status(reqid, STATUS_CODE.OK);
        }),
      )
      .on("RENAME", (reqid, from, to) => {
        operations.push(`RENAME ${shown(from)} ${shown(to)}`);
        if (fs.existsSync(local(to))) return sftp.status(reqid, STATUS_CODE.FAILURE);
        run(reqid, () => {
          fs.renameSync(local(from), local(to));
          sftp.status(reqid, STATUS_CODE.OK);
        });
      })
      .on("EXTENDED", (reqid, name, data) => {
        if (name !== "posix-rename@openssh.com" || !options.posixRename || !data) {
          return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
        }
        const [from, to] = readTwoStrings(data);
        operations.push(`POSIX-RENAME ${shown(from)} ${shown(to)}`);
        run(reqid, () => {
          fs.renameSync(local(from), local(to));
          sftp.status(reqid, STATUS_CODE.OK);
        });
      });
  };

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.add(client);
    client.on("close", () => connections.delete(client));
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      operations.push(`AUTH ${ctx.method}`);
      if (ctx.username !== options.username) return ctx.reject();
      if (ctx.method === "password" && options.password !== undefined) {
        const given = Buffer.from(ctx.password);
        const expected = Buffer.from(options.password);
        if (given.length === expected.length && timingSafeEqual(given, expected))
          return ctx.accept();
        return ctx.reject();
      }
      if (ctx.method === "publickey" && allowedKey) {
        const isOurKey =
          ctx.key.algo === allowedKey.type && ctx.key.data.equals(allowedKey.getPublicSSH());
        if (!isOurKey) return ctx.reject();
        // without a signature the client only asks whether this key would do
        if (!ctx.signature) return ctx.accept();
        if (allowedKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        return ctx.reject();
      }
      const methods = [
        ...(options.password !== undefined ? ["password" as const] : []),
        ...(allowedKey ? ["publickey" as const] : []),
      ];
      return ctx.reject(methods);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("sftp", (acceptSftp) => {
          const sftp = acceptSftp();
          if (options.posixRename) advertisePosixRename(sftp);
          serveSftp(sftp);
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    host: "127.0.0.1",
    port,
    root,
    fingerprint: fingerprintOfKeyLine(hostKey.public),
    operations,
    failWritesBeyond(bytes) {
      writeLimit = bytes;
    },
    holdWrites() {
      heldAnswers = [];
      return () => {
        const answers = heldAnswers ?? [];
        heldAnswers = null;
        // the client may have gone meanwhile: an answer on a closed channel is dropped
        for (const answer of answers) {
          try {
            answer();
          } catch {
            // nothing to tell a client that left
          }
        }
      };
    },
    async close() {
      for (const connection of connections) connection.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
