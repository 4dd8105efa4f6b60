import "server-only";
import { hashPassword } from "better-auth/crypto";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";

export async function hasAnyUser(): Promise<boolean> {
  return (await db.user.count()) > 0;
}

const ADMIN_EXISTS = "An admin account exists already: sign in instead.";

/**
 * Creates the first admin. Refuses once any user exists, so the setup page closes itself: the check
 * and the insert share one transaction. The same check runs before the password is even read, so
 * a closed setup page costs a caller one count, not a memory-hard hash.
 */
export async function createFirstAdmin(args: {
  name: string;
  email: string;
  password: string;
}): Promise<void> {
  if (await hasAnyUser()) throw new AppError("CONFLICT", ADMIN_EXISTS);
  const passwordHash = await hashPassword(args.password);
  await db.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) throw new AppError("CONFLICT", ADMIN_EXISTS);
    const userId = crypto.randomUUID();
    await tx.user.create({
      data: {
        id: userId,
        name: args.name,
        email: args.email.toLowerCase(),
        role: "admin",
        emailVerified: true,
      },
    });
    await tx.account.create({
      data: {
        id: crypto.randomUUID(),
        accountId: userId,
        providerId: "credential",
        userId,
        password: passwordHash,
      },
    });
  });
}
