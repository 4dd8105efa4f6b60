import { createReadStream, type ReadStream } from "node:fs";
import type { Transform } from "node:stream";
import nodemailer, { type NodemailerError } from "nodemailer";
import { z } from "@/server/forms/zod";
import { formatDatePattern } from "@/server/services/reports/file-name-template";
import { SUBJECT_TOKEN, ZEmailSecrets, ZEmailSettings } from "./schemas";
import { deliveryFileNames } from "./file-name-template";
import {
  checkedCopyOf,
  countFiles,
  describeSize,
  firstLine,
  parseDeliveryInput,
  throwIfCancelled,
} from "./shared";
import {
  DeliveryError,
  type TDeliveredFile,
  type TDeliveryContext,
  type TDeliveryKind,
} from "./types";

const MB = 1024 * 1024;
const CONNECT_TIMEOUT_MS = 20_000;
/** long enough for a slow server to take 10 MB of attachments, short enough to notice a dead one */
const SOCKET_TIMEOUT_MS = 120_000;

type TEmailSettings = z.output<typeof ZEmailSettings>;
type TEmailSecrets = z.output<typeof ZEmailSecrets>;

export type TEmailDeliveryOptions = {
  /**
   * Certificate authorities trusted for the mail server's TLS instead of Node's bundled ones (a
   * test's own CA). A deployment with a private CA sets NODE_EXTRA_CA_CERTS instead.
   */
  trustedCa?: string;
};

const where = (settings: TEmailSettings) => `${settings.host}:${settings.port}`;

/** The parts of a run summary an e-mail shows; anything else in it is left alone. */
const ZSummaryView = z.object({
  run: z
    .object({
      id: z.string().optional(),
      title: z.string().optional(),
      status: z.string().optional(),
    })
    .optional(),
  reports: z
    .array(
      z.object({
        report: z.string().optional(),
        status: z.string().optional(),
        rows: z.number().nullish(),
        bytes: z.number().nullish(),
        error: z.string().nullish(),
      }),
    )
    .optional(),
});

function viewOf(summary: Record<string, unknown>): z.output<typeof ZSummaryView> {
  const parsed = ZSummaryView.safeParse(summary);
  return parsed.success ? parsed.data : {};
}

function renderSubject(template: string, context: TDeliveryContext, fileCount: number): string {
  const run = viewOf(context.summary).run;
  const values: Record<string, string> = {
    title: run?.title ?? "Report run",
    status: run?.status ?? "",
    files: countFiles(fileCount),
    run: (context.runId ?? run?.id ?? "").slice(0, 8),
  };
  const subject = template.replace(SUBJECT_TOKEN, (_, name: string, format?: string) =>
    name === "date"
      ? formatDatePattern(
          context.date ?? new Date(),
          format || "yyyy-MM-dd",
          context.timeZone ?? "UTC",
        )
      : (values[name] ?? ""),
  );
  // a title from a report name must not start a header of its own
  return subject.replace(/[\r\n]+/g, " ").trim() || "DataHaul delivery";
}

type TAttachedFile = { name: string; bytes: number; link?: string };

function renderBody(
  context: TDeliveryContext,
  files: TAttachedFile[],
  mode: { isLinked: boolean; totalBytes: number; capBytes: number },
): string {
  const view = viewOf(context.summary);
  const lines: string[] = [];
  const title = view.run?.title ?? "A DataHaul run";
  lines.push(`${title}${view.run?.status ? ` (${view.run.status})` : ""}`);
  lines.push("");
  if (view.reports && view.reports.length > 0) {
    lines.push("Reports:");
    for (const report of view.reports) {
      const facts = [
        report.status,
        typeof report.rows === "number" ? `${report.rows.toLocaleString("en-US")} rows` : null,
        typeof report.bytes === "number" ? describeSize(report.bytes) : null,
        report.error ? `error: ${report.error}` : null,
      ].filter(Boolean);
      lines.push(`  - ${report.report ?? "(unnamed)"}: ${facts.join(", ")}`);
    }
    lines.push("");
  }
  const size = describeSize(mode.totalBytes);
  if (files.length === 0) {
    lines.push("This run delivered no files.");
  } else if (mode.isLinked) {
    lines.push(
      mode.capBytes === 0
        ? `${countFiles(files.length)} (${size} in all), linked rather than attached:`
        : `${countFiles(files.length)} (${size} in all): more than the ${describeSize(mode.capBytes)} this e-mail may carry, so they are linked below instead of attached:`,
    );
    for (const file of files)
      lines.push(`  - ${file.name} (${describeSize(file.bytes)}): ${file.link}`);
  } else {
    lines.push(`${countFiles(files.length)} attached (${size} in all):`);
    for (const file of files) lines.push(`  - ${file.name} (${describeSize(file.bytes)})`);
  }
  lines.push("", "Sent by DataHaul.");
  return `${lines.join("\n")}\n`;
}

function createTransport(
  settings: TEmailSettings,
  secrets: TEmailSecrets,
  options: TEmailDeliveryOptions,
) {
  if (settings.username !== "" && !secrets.password) {
    throw new DeliveryError(`the password for ${settings.username} is missing`, {
      isPermanent: true,
    });
  }
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === "tls",
    // "starttls" must not fall back to plain text when the upgrade is refused: the password would follow
    requireTLS: settings.security === "starttls",
    ignoreTLS: settings.security === "none",
    auth:
      settings.username !== "" ? { user: settings.username, pass: secrets.password } : undefined,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    tls: options.trustedCa ? { ca: options.trustedCa } : undefined,
    // attachments are our streams; a message must never read a path or URL by itself
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
}

function describeMailError(error: unknown, settings: TEmailSettings): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const mailError = error as NodemailerError;
  const reply = mailError.response ? ` (${firstLine(mailError.response)})` : "";
  const permanent = (message: string) =>
    new DeliveryError(message, { isPermanent: true, cause: error });
  switch (mailError.code) {
    case "EAUTH":
      return permanent(
        `the mail server ${where(settings)} refused the sign-in of ${settings.username}${reply}`,
      );
    case "ENOAUTH":
      return permanent(`the mail server ${where(settings)} wants a user and password`);
    case "EDNS":
      return permanent(`the host ${settings.host} was not found`);
    case "ETIMEDOUT":
      return new DeliveryError(`no answer from the mail server ${where(settings)} in time`, {
        cause: error,
      });
    case "ETLS":
      if (mailError.responseCode !== undefined && /STARTTLS/i.test(firstLine(error))) {
        return permanent(
          `the mail server ${where(settings)} does not offer STARTTLS${reply}: choose TLS from the start if it listens for it (usually port 465); the password was not sent`,
        );
      }
      return new DeliveryError(
        `the encrypted connection to ${where(settings)} failed (${firstLine(error)})`,
        { cause: error },
      );
    case "EENVELOPE":
      return permanent(
        `the mail server ${where(settings)} refused the sender or every recipient${reply}`,
      );
    case "EMESSAGE":
      return new DeliveryError(`the mail server ${where(settings)} refused the message${reply}`, {
        isPermanent: mailError.permanent === true,
        cause: error,
      });
    case "ESOCKET":
    case "ECONNECTION":
      if (mailError.originalCode === "ECONNREFUSED" || /ECONNREFUSED/.test(firstLine(error))) {
        return new DeliveryError(`${where(settings)} refused the connection`, { cause: error });
      }
      if (/certificate|self[- ]signed|TLS|SSL/i.test(firstLine(error))) {
        return new DeliveryError(
          `the encrypted connection to ${where(settings)} failed (${firstLine(error)})`,
          { cause: error },
        );
      }
  }
  return new DeliveryError(
    `sending through ${where(settings)} failed: ${firstLine(error)}${reply}`,
    {
      cause: error,
    },
  );
}

const securityWords = { starttls: "STARTTLS", tls: "TLS", none: "no encryption" } as const;

export function createEmailDelivery(
  options: TEmailDeliveryOptions = {},
): TDeliveryKind<typeof ZEmailSettings, typeof ZEmailSecrets> {
  const parse = (rawSettings: unknown, rawSecrets: unknown) => ({
    settings: parseDeliveryInput(ZEmailSettings, rawSettings, "e-mail delivery's settings"),
    secrets: parseDeliveryInput(ZEmailSecrets, rawSecrets, "e-mail delivery's secrets"),
  });

  return {
    kind: "email",
    label: "E-mail",
    settingsSchema: ZEmailSettings,
    secretsSchema: ZEmailSecrets,

    /**
     * One e-mail with every file attached while they fit under the cap together; over it, the
     * e-mail carries signed download links to all of them instead. All or none is attached, so a
     * recipient never has to work out which file came which way.
     */
    async deliver(rawSettings, rawSecrets, files, context) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      throwIfCancelled(context.signal);
      const names = deliveryFileNames(files, settings.fileNameTemplate, context);
      const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
      const capBytes = Math.round(settings.maxAttachmentMb * MB);
      const isLinked = files.length > 0 && totalBytes > capBytes;
      if (isLinked && !context.linkFor) {
        throw new DeliveryError(
          `the files come to ${describeSize(totalBytes)}, over the ${describeSize(capBytes)} an e-mail may carry, and no download links can be made here: set APP_URL to the address people reach DataHaul at`,
          { isPermanent: true },
        );
      }
      const listed: TAttachedFile[] = files.map((file, index) => ({
        name: names[index]!,
        bytes: file.bytes,
        link: isLinked ? context.linkFor!(file) : undefined,
      }));
      const streams: ReadStream[] = [];
      const contents: Transform[] = [];
      const transport = createTransport(settings, secrets, options);
      try {
        const attachments = isLinked
          ? []
          : files.map((file, index) => {
              const source = createReadStream(file.path);
              streams.push(source);
              const content = source.pipe(checkedCopyOf(file));
              contents.push(content);
              source.once("error", (error) => content.destroy(error));
              return { filename: names[index]!, content, contentType: file.contentType };
            });
        const info = await transport.sendMail({
          from: settings.from,
          to: settings.to,
          subject: renderSubject(settings.subjectTemplate, context, files.length),
          text: renderBody(context, listed, { isLinked, totalBytes, capBytes }),
          attachments,
          signal: context.signal,
        });
        const recipients = settings.to.join(", ");
        const refused =
          info.rejected.length > 0 ? `; the server refused ${info.rejected.join(", ")}` : "";
        const delivered: TDeliveredFile[] = listed.map((file, index) => ({
          name: files[index]!.name,
          deliveredAs: file.name,
          bytes: file.bytes,
          location: isLinked
            ? `linked in the e-mail to ${recipients}`
            : `attached to the e-mail to ${recipients}`,
        }));
        const how =
          files.length === 0
            ? "with the summary only"
            : isLinked
              ? `with links to ${countFiles(files.length)} (${describeSize(totalBytes)}, over the ${describeSize(capBytes)} attachment limit)`
              : `with ${countFiles(files.length)} attached (${describeSize(totalBytes)})`;
        return { message: `e-mail sent to ${recipients} ${how}${refused}`, files: delivered };
      } catch (error) {
        if (context.signal?.aborted) throw new DeliveryError("the delivery was cancelled");
        // a file that changed under the run, or is gone, stopped the message before its end
        const changed = contents.find((content) => content.errored instanceof DeliveryError);
        if (changed) throw changed.errored;
        if (
          streams.some(
            (stream) => (stream.errored as NodeJS.ErrnoException | null)?.code === "ENOENT",
          )
        ) {
          throw new DeliveryError("a file to deliver is missing on our side", { cause: error });
        }
        throw describeMailError(error, settings);
      } finally {
        for (const stream of streams) stream.destroy();
        transport.close();
      }
    },

    /** The alert as a plain-text e-mail to the form's recipients. */
    async alert(rawSettings, rawSecrets, message, alertOptions = {}) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      throwIfCancelled(alertOptions.signal);
      const transport = createTransport(settings, secrets, options);
      try {
        const info = await transport.sendMail({
          from: settings.from,
          to: settings.to,
          subject: message.title,
          text: [message.text, message.url ? `The run: ${message.url}` : "", "— DataHaul"]
            .filter(Boolean)
            .join("\n\n"),
        });
        const refused =
          info.rejected.length > 0 ? `; the server refused ${info.rejected.join(", ")}` : "";
        return `e-mail sent to ${settings.to.join(", ")}${refused}`;
      } catch (error) {
        throw describeMailError(error, settings);
      } finally {
        transport.close();
      }
    },

    async test(rawSettings, rawSecrets, testOptions = {}) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      throwIfCancelled(testOptions.signal);
      const transport = createTransport(settings, secrets, options);
      const onAbort = () => transport.close();
      testOptions.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await transport.verify();
      } catch (error) {
        if (testOptions.signal?.aborted) throw new DeliveryError("the test was cancelled");
        throw describeMailError(error, settings);
      } finally {
        testOptions.signal?.removeEventListener("abort", onAbort);
        transport.close();
      }
      const signIn = settings.username ? `signed in as ${settings.username}` : "no sign-in needed";
      return `connected to ${where(settings)} (${securityWords[settings.security]}), ${signIn}; nothing was sent`;
    },
  };
}
