// The first admin account, created by the one-time setup page (or ADMIN_EMAIL at start-up). Each
// test sets up the accounts it needs: creating the first admin needs a database without any.
import { verifyPassword } from "better-auth/crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

beforeEach(async () => {
  // accounts and sessions go with their user
  await app.db.user.deleteMany();
});

describe("first-run setup", () => {
  it("creates the first admin once, with a hashed password, and then refuses", async () => {
    const { createFirstAdmin } = await import("@/server/services/accounts/create-admin");
    const password = "correct-horse-battery";
    await createFirstAdmin({ name: "Ada", email: "Ada@Example.com", password });

    const admin = await app.db.user.findUniqueOrThrow({
      where: { email: "ada@example.com" },
      include: { accounts: true },
    });
    expect(admin.role).toBe("admin");
    expect(admin.accounts).toHaveLength(1);
    const stored = admin.accounts[0]!.password!;
    expect(stored).not.toContain(password);
    expect(await verifyPassword({ hash: stored, password })).toBe(true);
    expect(await verifyPassword({ hash: stored, password: "correct-horse-batterY" })).toBe(false);

    await expect(
      createFirstAdmin({ name: "Eve", email: "eve@example.com", password: "0123456789ab" }),
    ).rejects.toThrow("An admin account exists already: sign in instead.");
    expect(await app.db.user.count()).toBe(1);
  });

  it("once closed, refuses before the password is even read: no hash is computed", async () => {
    const { createFirstAdmin } = await import("@/server/services/accounts/create-admin");
    await app.db.user.create({
      data: { id: crypto.randomUUID(), name: "Existing", email: "existing@example.com" },
    });
    let passwordReads = 0;
    const attempt = {
      name: "Eve",
      email: "eve@example.com",
      get password() {
        passwordReads += 1;
        return "0123456789ab";
      },
    };
    await expect(createFirstAdmin(attempt)).rejects.toThrow(/exists already/);
    expect(passwordReads).toBe(0);
    expect(await app.db.user.count({ where: { email: "eve@example.com" } })).toBe(0);
  });
});
