import type dns from "node:dns";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  classifyAddress,
  createAddressPolicy,
  createGuardedConnector,
  createGuardedLookup,
  parseAllowlistEntry,
} from "./address-guard";
import { DownloadError } from "./errors";

describe("classifyAddress", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.1", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.1", "public"],
    ["169.253.1.1", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.255", "private"],
    ["169.254.169.254", "link-local"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "reserved"],
  ])("IPv4 %s is %s", (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each([
    ["2606:4700:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fec0::1", "private"],
    ["ff02::1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:c0a8:0101::1", "private"],
    ["2002:0808:0808::1", "public"],
  ])("IPv6 %s is %s", (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(["example.com", "", "1.2.3", "300.1.1.1", "::gg"])("%s is not an address", (text) => {
    expect(classifyAddress(text)).toBe("invalid");
  });
});

describe("parseAllowlistEntry", () => {
  it("reads hostnames, IPs and CIDRs, and rejects junk", () => {
    expect(parseAllowlistEntry("Images.Local.")).toEqual({ kind: "host", name: "images.local" });
    expect(parseAllowlistEntry("localhost")).toEqual({ kind: "host", name: "localhost" });
    expect(parseAllowlistEntry("10.0.0.0/8")).toMatchObject({
      kind: "cidr",
      cidr: { family: 4, prefix: 8 },
    });
    expect(parseAllowlistEntry("::1")).toMatchObject({
      kind: "cidr",
      cidr: { family: 6, prefix: 128 },
    });
    expect(parseAllowlistEntry("[fd00::]/8")).toMatchObject({
      kind: "cidr",
      cidr: { family: 6, prefix: 8 },
    });
    expect(parseAllowlistEntry("10.0.0.0/33")).toBeNull();
    expect(parseAllowlistEntry("10.0.0.0/x")).toBeNull();
    expect(parseAllowlistEntry("host/8")).toBeNull();
    expect(parseAllowlistEntry("bad host")).toBeNull();
    expect(parseAllowlistEntry("  ")).toBeNull();
  });

  it("takes a port after a host, an IPv4 address or a bracketed IPv6 address", () => {
    expect(parseAllowlistEntry("localhost:3000")).toEqual({
      kind: "host",
      name: "localhost",
      port: 3000,
    });
    expect(parseAllowlistEntry("127.0.0.1:8080")).toMatchObject({ kind: "cidr", port: 8080 });
    expect(parseAllowlistEntry("[::1]:9000")).toMatchObject({
      kind: "cidr",
      cidr: { family: 6, prefix: 128 },
      port: 9000,
    });
    // a bare IPv6 address is all address, no port
    expect(parseAllowlistEntry("fd00::1:80")).not.toHaveProperty("port");
    expect(parseAllowlistEntry("localhost:0")).toBeNull();
    expect(parseAllowlistEntry("localhost:65536")).toBeNull();
    expect(parseAllowlistEntry("10.0.0.0/8:80")).toBeNull();
    expect(parseAllowlistEntry("localhost:")).toBeNull();
  });
});

describe("createAddressPolicy", () => {
  it("lets public addresses through with an empty allowlist", () => {
    expect(createAddressPolicy([]).check("cdn.example", "93.184.216.34")).toBeNull();
  });

  it("blocks private, loopback and link-local targets with a plain message", () => {
    const policy = createAddressPolicy([]);
    const blocked = policy.check("evil.example", "10.0.0.5");
    expect(blocked).toBeInstanceOf(DownloadError);
    expect(blocked).toMatchObject({ kind: "blocked_address", retryable: false });
    expect(blocked?.message).toBe("blocked: resolves to a private address (10.0.0.5)");
    expect(policy.check("x", "127.0.0.1")?.kind).toBe("blocked_address");
    expect(policy.check("x", "::1")?.message).toBe("blocked: resolves to a private address (::1)");
    expect(policy.check("x", "[fe80::1]")?.kind).toBe("blocked_address");
    expect(policy.check("x", "::ffff:169.254.169.254")?.kind).toBe("blocked_address");
    expect(policy.check("x", "0.0.0.0")?.kind).toBe("blocked_address");
  });

  it("permits addresses inside an allowlisted CIDR only", () => {
    const policy = createAddressPolicy(["127.0.0.0/8", "192.168.10.0/24"]);
    expect(policy.check("x", "127.0.0.1")).toBeNull();
    expect(policy.check("x", "127.9.9.9")).toBeNull();
    expect(policy.check("x", "::ffff:127.0.0.1")).toBeNull();
    expect(policy.check("x", "192.168.10.77")).toBeNull();
    expect(policy.check("x", "192.168.11.1")?.kind).toBe("blocked_address");
    expect(policy.check("x", "::1")?.kind).toBe("blocked_address");
    expect(policy.check("x", "10.0.0.1")?.kind).toBe("blocked_address");
  });

  it("matches IPv6 allowlist entries and prefixes that end mid-byte", () => {
    const policy = createAddressPolicy(["::1", "fd00:ab00::/20"]);
    expect(policy.check("x", "::1")).toBeNull();
    expect(policy.check("x", "fd00:afff::1")).toBeNull();
    expect(policy.check("x", "fd00:b000::1")?.kind).toBe("blocked_address");
    expect(policy.check("x", "127.0.0.1")?.kind).toBe("blocked_address");
  });

  it("permits any address behind an allowlisted hostname, case-insensitively", () => {
    const policy = createAddressPolicy(["LocalHost", "nas.office"]);
    expect(policy.check("localhost", "127.0.0.1")).toBeNull();
    expect(policy.check("localhost.", "::1")).toBeNull();
    expect(policy.check("NAS.office", "192.168.1.20")).toBeNull();
    expect(policy.check("other.office", "192.168.1.20")?.kind).toBe("blocked_address");
  });

  it("allows a host:port entry on that port only, and a bare entry on every port", () => {
    const policy = createAddressPolicy(["127.0.0.1:8080", "localhost:3000", "[::1]:9000"]);
    expect(policy.check("127.0.0.1", "127.0.0.1", 8080)).toBeNull();
    expect(policy.check("127.0.0.1", "127.0.0.1", 8081)?.kind).toBe("blocked_address");
    expect(policy.check("127.0.0.1", "127.0.0.1")?.kind).toBe("blocked_address");
    expect(policy.check("localhost", "127.0.0.5", 3000)).toBeNull();
    expect(policy.check("localhost", "127.0.0.5", 3001)?.kind).toBe("blocked_address");
    expect(policy.check("x", "::1", 9000)).toBeNull();
    expect(policy.check("x", "::1", 22)?.kind).toBe("blocked_address");
    const bare = createAddressPolicy(["127.0.0.1"]);
    expect(bare.check("x", "127.0.0.1", 22)).toBeNull();
    expect(bare.check("x", "127.0.0.1")).toBeNull();
  });

  it("rejects an invalid allowlist entry at start-up", () => {
    expect(() => createAddressPolicy(["10.0.0.0/99"])).toThrow(
      /invalid private-host allowlist entry/,
    );
  });
});

describe("createGuardedLookup", () => {
  type Answer = { error?: NodeJS.ErrnoException; addresses?: dns.LookupAddress[] };
  const fakeResolver = (answer: Answer) =>
    ((
      _host: string,
      _options: unknown,
      callback: (e: unknown, a?: dns.LookupAddress[]) => void,
    ) => {
      queueMicrotask(() => callback(answer.error ?? null, answer.addresses));
    }) as unknown as typeof dns.lookup;

  const lookupVia = (lookup: ReturnType<typeof createGuardedLookup>, host: string, all: boolean) =>
    new Promise<{ error: unknown; result: unknown[] }>((resolve) => {
      lookup(host, { all } as dns.LookupOptions, (error, ...result: unknown[]) =>
        resolve({ error, result }),
      );
    });

  it("refuses when any resolved address is private", async () => {
    const lookup = createGuardedLookup(
      createAddressPolicy([]),
      fakeResolver({
        addresses: [
          { address: "93.184.216.34", family: 4 },
          { address: "10.0.0.5", family: 4 },
        ],
      }),
    );
    const { error } = await lookupVia(lookup, "rebind.example", false);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toBe(
      "blocked: resolves to a private address (10.0.0.5)",
    );
  });

  it("answers in the shape the caller asked for", async () => {
    const addresses = [
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ];
    const lookup = createGuardedLookup(createAddressPolicy([]), fakeResolver({ addresses }));
    expect(await lookupVia(lookup, "example.com", false)).toEqual({
      error: null,
      result: ["93.184.216.34", 4],
    });
    expect(await lookupVia(lookup, "example.com", true)).toEqual({
      error: null,
      result: [addresses],
    });
  });

  it("passes resolver errors through unchanged", async () => {
    const notFound = Object.assign(new Error("getaddrinfo ENOTFOUND nope.invalid"), {
      code: "ENOTFOUND",
    });
    const lookup = createGuardedLookup(createAddressPolicy([]), fakeResolver({ error: notFound }));
    expect((await lookupVia(lookup, "nope.invalid", false)).error).toBe(notFound);
  });

  it("resolves a real loopback name and applies the allowlist to it", async () => {
    const blocked = await lookupVia(
      createGuardedLookup(createAddressPolicy([])),
      "localhost",
      true,
    );
    expect(blocked.error).toMatchObject({ kind: "blocked_address" });
    const allowed = await lookupVia(
      createGuardedLookup(createAddressPolicy(["localhost"])),
      "localhost",
      true,
    );
    expect(allowed.error).toBeNull();
  });
});

describe("createGuardedConnector", () => {
  const connectVia = (allowlist: string[], hostname: string, port: number) =>
    new Promise<{ error: Error | null; socket: Socket | null }>((resolve) => {
      const connect = createGuardedConnector(createAddressPolicy(allowlist), {
        connectTimeoutMs: 2000,
      });
      connect({ hostname, protocol: "http:", port: String(port) }, (error, socket) =>
        resolve({ error, socket: socket as Socket | null }),
      );
    });

  async function withListener<T>(
    run: (port: number, accepted: () => number) => Promise<T>,
  ): Promise<T> {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      return await run((server.address() as AddressInfo).port, () => connections);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("refuses an IP literal before opening a socket", async () => {
    await withListener(async (port, accepted) => {
      const { error, socket } = await connectVia([], "127.0.0.1", port);
      expect(error).toMatchObject({
        kind: "blocked_address",
        message: "blocked: resolves to a private address (127.0.0.1)",
      });
      expect(socket).toBeNull();
      expect(accepted()).toBe(0);
    });
  });

  it("refuses a name that resolves to a private address", async () => {
    await withListener(async (port, accepted) => {
      const { error } = await connectVia([], "localhost", port);
      expect(error).toMatchObject({ kind: "blocked_address" });
      expect(accepted()).toBe(0);
    });
  });

  it("connects when the allowlist permits the address", async () => {
    await withListener(async (port) => {
      const { error, socket } = await connectVia(["127.0.0.1"], "127.0.0.1", port);
      expect(error).toBeNull();
      expect(socket?.remotePort).toBe(port);
      socket?.destroy();
    });
  });
});
