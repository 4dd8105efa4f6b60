import "server-only";
import nodemailer from "nodemailer";
import { env } from "@/server/env";
import { logger } from "@/server/logger";

const TIMEOUT_MS = 20_000;

/** Whether the admin set a mail server (SMTP_URL) for invitations and password links. */
export function canSendAccountMail(): boolean {
  return Boolean(env.SMTP_URL && env.MAIL_FROM);
}

/** What became of an e-mail: the admin reads it beside the link, which they can still pass on. */
export type TMailOutcome = { isSent: boolean; text: string };

/**
 * The link by e-mail. A failure is reported, never thrown: the account and its link exist
 * either way, and the admin can hand the link over themselves.
 */
export async function mailPasswordLink(args: {
  to: { name: string; email: string };
  url: string;
  isInvitation: boolean;
  invitedBy: string;
  validDays: number;
}): Promise<TMailOutcome> {
  const transport = nodemailer.createTransport({
    url: env.SMTP_URL,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  const text = args.isInvitation
    ? [
        `Hello ${args.to.name},`,
        `${args.invitedBy} added you to DataHaul. Choose your password here to sign in:`,
        args.url,
        `The link works once, for ${args.validDays} days.`,
      ]
    : [
        `Hello ${args.to.name},`,
        `${args.invitedBy} made you a link to set a new DataHaul password:`,
        args.url,
        `The link works once, for ${args.validDays} days. If you did not ask for it, you can ignore this e-mail: your password stays as it is.`,
      ];
  try {
    await transport.sendMail({
      from: env.MAIL_FROM,
      to: { name: args.to.name, address: args.to.email },
      subject: args.isInvitation ? "You are invited to DataHaul" : "Set a new DataHaul password",
      text: `${text.join("\n\n")}\n`,
    });
    return { isSent: true, text: `E-mailed to ${args.to.email}.` };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    logger.warn({ err: error, to: args.to.email }, "a password link could not be e-mailed");
    return {
      isSent: false,
      text: `The e-mail to ${args.to.email} could not be sent (${reason}): give them the link yourself.`,
    };
  } finally {
    transport.close();
  }
}
