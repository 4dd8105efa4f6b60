/**
 * Polls until `check` returns a truthy value and returns it. The deadline is far beyond any healthy
 * run, so a busy machine only makes the wait longer; it exists so a broken build fails instead of
 * hanging. Never a sleep-and-hope: the caller names the state it waits for.
 */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let interval = 1; ; interval = Math.min(interval * 2, 50)) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
