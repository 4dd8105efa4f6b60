import { describe, expect, it } from "vitest";
import { SessionExpiredError } from "./connector-error";
import { createSessionCache, withSession } from "./session-cache";

describe("withSession", () => {
  it("signs in once for many calls, renews once on expiry, and never loops", async () => {
    const cache = createSessionCache();
    let logins = 0;
    const login = async () => `session-${++logins}`;
    const seen = await Promise.all(
      [1, 2, 3].map(() => withSession(cache, "c1", login, async (s) => s)),
    );
    expect(seen).toEqual(["session-1", "session-1", "session-1"]);
    expect(logins).toBe(1);

    // expired once: one new sign-in, then the call succeeds
    let calls = 0;
    const result = await withSession(cache, "c1", login, async (s) => {
      calls += 1;
      if (s === "session-1") throw new SessionExpiredError("401");
      return s;
    });
    expect(result).toBe("session-2");
    expect(logins).toBe(2);
    expect(calls).toBe(2);

    // refused again right after renewing: an error, after exactly one more sign-in
    await expect(
      withSession(cache, "c1", login, async () => {
        throw new SessionExpiredError("401");
      }),
    ).rejects.toThrow(/not retrying/);
    expect(logins).toBe(3);
  });

  it("does not keep a failed sign-in", async () => {
    const cache = createSessionCache();
    let attempts = 0;
    const login = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("wrong password");
      return "ok";
    };
    await expect(withSession(cache, "c", login, async (s) => s)).rejects.toThrow("wrong password");
    expect(await withSession(cache, "c", login, async (s) => s)).toBe("ok");
  });
});
