import "server-only";
import { clientAddress } from "@/server/auth/client-address";
import { db } from "@/server/db";
import { recordAudit } from "./audit";

const REFUSAL: Record<number, string> = {
  401: "wrong email or password",
  403: "refused (a disabled account, or another origin)",
  429: "too many attempts from this address",
};

/** A sign-in's line: who (by the email given), whether it was let in, from where. */
export async function auditSignIn(args: { email: string; status: number; headers: Headers }) {
  const email = args.email.trim().toLowerCase().slice(0, 254);
  const user = email
    ? await db.user.findUnique({ where: { email }, select: { id: true, name: true, email: true } })
    : null;
  const isIn = args.status >= 200 && args.status < 300;
  await recordAudit({
    actor: user,
    actorText: email || "no email given",
    action: isIn ? "sign-in" : "sign-in failed",
    target: isIn ? "" : (REFUSAL[args.status] ?? `answered ${args.status}`),
    address: clientAddress(args.headers),
  });
}
