import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { hashPassword } from "better-auth/crypto";
import { z } from "@/server/forms/zod";
import { ROLES, roleOf, type TRole } from "@/server/auth/access";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { canSendAccountMail, mailPasswordLink, type TMailOutcome } from "./account-mail";

export const ZUserInput = z.object({
  name: z.string().trim().min(1, "Enter the person's name.").max(100),
  email: z.email("Enter a valid email address.").max(254),
  role: z.enum(ROLES),
});

export const ZUpdateUserInput = z.object({
  id: z.string().min(1),
  name: z.string().trim().min(1, "Enter the person's name.").max(100),
  role: z.enum(ROLES),
});

export const ZSetPasswordInput = z.object({
  token: z.string().min(20, "This link is not complete: copy the whole link you were given."),
  password: z.string().min(10, "Use at least 10 characters for the password.").max(200),
});

export type TUserView = {
  id: string;
  name: string;
  email: string;
  role: TRole;
  disabledAt: Date | null;
  createdAt: Date;
  /** false until the person set a password through their link */
  hasPassword: boolean;
  /** their latest session's last activity */
  lastSeenAt: Date | null;
  /** an unused link not yet expired */
  hasOpenLink: boolean;
};

/** How long an invitation or reset link works. */
export const PASSWORD_LINK_DAYS = 7;

/** The path of a password link; the token rides in the fragment, which no server or proxy logs. */
export function passwordLinkPath(token: string): string {
  return `/set-password#${token}`;
}

export async function listUsers(): Promise<TUserView[]> {
  const now = new Date();
  const users = await db.user.findMany({
    orderBy: [{ disabledAt: { sort: "asc", nulls: "first" } }, { name: "asc" }],
    include: {
      accounts: { where: { providerId: "credential" }, select: { password: true } },
      sessions: { orderBy: { updatedAt: "desc" }, take: 1, select: { updatedAt: true } },
      passwordLinks: {
        where: { usedAt: null, expiresAt: { gt: now } },
        take: 1,
        select: { id: true },
      },
    },
  });
  return users.map((user) => ({
    id: user.id,
    name: user.name,
    email: user.email,
    role: roleOf(user.role),
    disabledAt: user.disabledAt,
    createdAt: user.createdAt,
    hasPassword: user.accounts.some((account) => account.password),
    lastSeenAt: user.sessions[0]?.updatedAt ?? null,
    hasOpenLink: user.passwordLinks.length > 0,
  }));
}

/** A new user and the one-time link they set their password with (shown to the admin once). */
export async function createUser(
  input: z.input<typeof ZUserInput>,
  mail?: TMailLink,
): Promise<{ user: TUserView; linkPath: string; mail: TMailOutcome | null }> {
  const { name, email, role } = ZUserInput.parse(input);
  const normalized = email.toLowerCase();
  if (await db.user.findUnique({ where: { email: normalized } }))
    throw new AppError("CONFLICT", `${normalized} has an account already.`, {
      email: "This address has an account already.",
    });
  const id = crypto.randomUUID();
  await db.user.create({ data: { id, name, email: normalized, role, emailVerified: true } });
  const { linkPath, mail: outcome } = await newPasswordLink(id, mail);
  return { user: (await listUsers()).find((user) => user.id === id)!, linkPath, mail: outcome };
}

/** Send the link by e-mail too, as a link on this origin, from this admin. */
export type TMailLink = { origin: string; invitedBy: string };

export async function updateUser(
  actorId: string,
  input: z.input<typeof ZUpdateUserInput>,
): Promise<void> {
  const { id, name, role } = ZUpdateUserInput.parse(input);
  await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id } });
    if (!user) throw new AppError("NOT_FOUND", "This user does not exist.");
    if (user.role === "admin" && role !== "admin") {
      await refuseLosingLastAdmin(tx, id, actorId, "change the role of");
    }
    await tx.user.update({ where: { id }, data: { name, role } });
  });
}

/** Disabling ends the user's sessions at once and stops their tokens; enabling lets them back. */
export async function setUserDisabled(
  actorId: string,
  id: string,
  isDisabled: boolean,
): Promise<void> {
  if (isDisabled && id === actorId)
    throw new AppError("BAD_REQUEST", "You cannot disable your own account.");
  await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id } });
    if (!user) throw new AppError("NOT_FOUND", "This user does not exist.");
    if (isDisabled && user.role === "admin")
      await refuseLosingLastAdmin(tx, id, actorId, "disable");
    await tx.user.update({ where: { id }, data: { disabledAt: isDisabled ? new Date() : null } });
    if (isDisabled) await tx.session.deleteMany({ where: { userId: id } });
  });
}

type TTx = Parameters<Parameters<typeof db.$transaction>[0]>[0];

async function refuseLosingLastAdmin(tx: TTx, id: string, actorId: string, verb: string) {
  const otherAdmins = await tx.user.count({
    where: { role: "admin", disabledAt: null, id: { not: id } },
  });
  if (otherAdmins === 0)
    throw new AppError(
      "BAD_REQUEST",
      id === actorId
        ? `You are the only admin: make someone else an admin before you ${verb} yourself.`
        : `This is the only admin left: make someone else an admin first.`,
    );
}

/**
 * A new one-time link for the user; any earlier unused link stops working. With `mail` and a mail
 * server set (SMTP_URL), the link is e-mailed to them as well.
 */
export async function newPasswordLink(
  userId: string,
  mail?: TMailLink,
): Promise<{ linkPath: string; mail: TMailOutcome | null }> {
  const token = randomBytes(32).toString("base64url");
  const user = await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new AppError("NOT_FOUND", "This user does not exist.");
    await tx.passwordLink.deleteMany({ where: { userId } });
    await tx.passwordLink.create({
      data: {
        userId,
        tokenHash: hashLinkToken(token),
        expiresAt: new Date(Date.now() + PASSWORD_LINK_DAYS * 24 * 3600_000),
      },
    });
    return user;
  });
  const linkPath = passwordLinkPath(token);
  if (!mail || !canSendAccountMail()) return { linkPath, mail: null };
  const hasPassword = await db.account.count({
    where: { userId, providerId: "credential", password: { not: null } },
  });
  return {
    linkPath,
    mail: await mailPasswordLink({
      to: { name: user.name, email: user.email },
      url: `${mail.origin}${linkPath}`,
      isInvitation: hasPassword === 0,
      invitedBy: mail.invitedBy,
      validDays: PASSWORD_LINK_DAYS,
    }),
  };
}

/** Who a link is for, so the page can greet them, or why it no longer works. */
export async function describePasswordLink(
  token: string,
): Promise<{ name: string; email: string }> {
  const link = await findUsableLink(token);
  return { name: link.user.name, email: link.user.email };
}

/**
 * Sets the password a link was made for, once: the link is spent in the same transaction, and any
 * session the account had ends (a reset is often made because someone else knows the password).
 */
export async function setPasswordWithLink(
  input: z.input<typeof ZSetPasswordInput>,
): Promise<{ email: string }> {
  const { token, password } = ZSetPasswordInput.parse(input);
  const link = await findUsableLink(token);
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const spent = await tx.passwordLink.updateMany({
      where: { id: link.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (spent.count === 0) throw new AppError("BAD_REQUEST", USED_LINK);
    const credential = await tx.account.findFirst({
      where: { userId: link.userId, providerId: "credential" },
    });
    if (credential)
      await tx.account.update({ where: { id: credential.id }, data: { password: passwordHash } });
    else
      await tx.account.create({
        data: {
          id: crypto.randomUUID(),
          accountId: link.userId,
          providerId: "credential",
          userId: link.userId,
          password: passwordHash,
        },
      });
    await tx.session.deleteMany({ where: { userId: link.userId } });
  });
  return { email: link.user.email };
}

const USED_LINK = "This link was used already. Ask your admin for a new one.";

async function findUsableLink(token: string) {
  const link = await db.passwordLink.findUnique({
    where: { tokenHash: hashLinkToken(token) },
    include: { user: true },
  });
  if (!link)
    throw new AppError(
      "NOT_FOUND",
      "This link does not work: it may be mistyped, or a newer link replaced it. Ask your admin for a new one.",
    );
  if (link.usedAt) throw new AppError("BAD_REQUEST", USED_LINK);
  if (link.expiresAt <= new Date())
    throw new AppError(
      "BAD_REQUEST",
      `This link expired (links work for ${PASSWORD_LINK_DAYS} days). Ask your admin for a new one.`,
    );
  if (link.user.disabledAt)
    throw new AppError("FORBIDDEN", "This account is disabled. Ask your admin to enable it again.");
  return link;
}

function hashLinkToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
