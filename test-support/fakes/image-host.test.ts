// The image host's gate and delivery count are what the cluster proof counts exactly-once with:
// they must tell a delivered answer from one whose client went away.
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@/test-support/wait-for";
import { startImageHost, type ImageHost } from "./image-host";

let host: ImageHost;
afterEach(() => host?.close());

function get(url: string): { done: Promise<number>; abort(): void } {
  let request!: http.ClientRequest;
  const done = new Promise<number>((resolve, reject) => {
    request = http.get(url, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    request.once("error", reject);
  });
  return { done, abort: () => request.destroy() };
}

describe("the image host's gate", () => {
  it("holds requests while closed, answers the waiting ones on opening, and counts only answers sent", async () => {
    host = await startImageHost();
    host.closeGate();
    const kept = get(`${host.url}/img/kept.png`);
    const gone = get(`${host.url}/img/gone.png`);
    gone.done.catch(() => undefined);
    await waitFor(() => host.waitingAtGate() === 2);
    expect(host.hits("/img/kept.png")).toBe(0);
    expect(host.delivered("/img/kept.png")).toBe(0);

    gone.abort();
    await waitFor(() => host.waitingAtGate() === 1);
    host.openGate();
    expect(await kept.done).toBe(200);
    expect(host.delivered("/img/kept.png")).toBe(1);
    expect(host.hits("/img/gone.png")).toBe(0);
    expect(host.delivered("/img/gone.png")).toBe(0);

    // open: later requests pass straight through
    expect(await get(`${host.url}/img/gone.png`).done).toBe(200);
    expect(host.delivered("/img/gone.png")).toBe(1);
    expect(host.waitingAtGate()).toBe(0);
  });
});
