import "server-only";
import { hashPassword } from "better-auth/crypto";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";

export async function hasAnyUser(): Promise<boolean> {
  return (await db.user.count()) > 0;
}

/**
 * Creates the first admin. Refuses once any user exists, so the setup page closes itself: the check
 * and the insert share one transaction.
 */
export async function createFirstAdmin(args: {
  name: string;
  email: string;
  password: string;
}): Promise<void> {
  const passwordHash = await hashPassword(args.password);
  await db.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0)
      throw new AppError("CONFLICT", "An admin account exists already: sign in instead.");
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
