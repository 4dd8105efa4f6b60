import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { waitFor } from "./wait-for";

export type TReceivedMail = {
  envelope: { from: string; to: string[] };
  /** the user the client signed in as, if it did */
  user: string | undefined;
  /** whether the session was encrypted (STARTTLS or TLS) when the message came */
  isSecure: boolean;
  parsed: ParsedMail;
};

export type TSmtpSinkOptions = {
  /** with both, clients must sign in (PLAIN or LOGIN) */
  username?: string;
  password?: string;
  /** a key and certificate: the server offers STARTTLS with them; without, it offers none */
  tls?: { key: string; cert: string };
  /** recipients answered with 550 */
  refusedRecipients?: string[];
};

export type TSmtpSink = {
  host: string;
  port: number;
  messages: TReceivedMail[];
  /** waits until this many messages have been received and parsed */
  waitForMessages(count: number): Promise<TReceivedMail[]>;
  close(): Promise<void>;
};

/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1 and a free port that keeps what it is
 * sent, each message parsed by mailparser so tests read attachments' bytes and the text body as a
 * mail program would.
 */
export async function startSmtpSink(options: TSmtpSinkOptions = {}): Promise<TSmtpSink> {
  const messages: TReceivedMail[] = [];
  const requiresAuth = options.username !== undefined;
  const server = new SMTPServer({
    logger: false,
    secure: false,
    // the client's name from a reverse lookup would be a DNS query leaving the machine
    disableReverseLookup: true,
    ...(options.tls
      ? { key: options.tls.key, cert: options.tls.cert }
      : { hideSTARTTLS: true, disabledCommands: ["STARTTLS"] }),
    authOptional: !requiresAuth,
    // without TLS the sink still takes a sign-in, as a relay on a trusted network does
    allowInsecureAuth: !options.tls,
    onAuth(auth, _session, callback) {
      if (auth.username === options.username && auth.password === options.password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(
        Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }),
      );
    },
    onRcptTo(address, _session, callback) {
      if (options.refusedRecipients?.includes(address.address)) {
        callback(
          Object.assign(new Error(`No such user here: ${address.address}`), { responseCode: 550 }),
        );
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          messages.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            user: typeof session.user === "string" ? session.user : undefined,
            isSecure: session.secure,
            parsed,
          });
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    messages,
    async waitForMessages(count) {
      await waitFor(() => messages.length >= count);
      return messages.slice(0, count);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
