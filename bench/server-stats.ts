import fs from "node:fs";

// What the benchmarks read about the built server they start: its memory, and a signed-in cookie.

/** RSS of processes and all their descendants, in MB. */
export function treeRssMb(pids: number | number[]): number {
  const roots = new Set(Array.isArray(pids) ? pids : [pids]);
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  for (const candidate of parentOf.keys()) {
    let p: number | undefined = candidate;
    while (p && !roots.has(p)) p = parentOf.get(p);
    if (!p || !roots.has(p)) continue;
    try {
      kb += Number(
        /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${candidate}/status`, "utf8"))?.[1] ?? 0,
      );
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** Waits until the server answers (up to a minute), signs in and returns the session cookie. */
export async function signInWhenUp(
  base: string,
  admin: { email: string; password: string },
): Promise<string> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${base}/sign-in`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const signIn = await fetch(`${base}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify(admin),
  });
  if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status} ${await signIn.text()}`);
  return signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}
