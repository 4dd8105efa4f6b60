import dns from "node:dns";
import net from "node:net";
import { buildConnector } from "undici";
import { DownloadError } from "./errors";

export type AddressClass =
  "public" | "loopback" | "private" | "link-local" | "unspecified" | "reserved" | "invalid";

type Cidr = { family: 4 | 6; bytes: Uint8Array; prefix: number };

function parseIPv4(ip: string): Uint8Array | null {
  if (!net.isIPv4(ip)) return null;
  return Uint8Array.from(ip.split(".").map(Number));
}

function parseIPv6(input: string): Uint8Array | null {
  const ip = stripZone(input);
  if (!net.isIPv6(ip)) return null;
  const out = new Uint8Array(16);
  let text = ip;
  // A dotted-quad tail (e.g. ::ffff:10.0.0.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  let tailBytes: Uint8Array | null = null;
  if (tail.includes(".")) {
    tailBytes = parseIPv4(tail);
    if (!tailBytes) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [headText = "", restText] = text.split("::");
  const head = headText === "" ? [] : headText.split(":");
  const rest = restText === undefined || restText === "" ? [] : restText.split(":");
  const missing = 8 - head.length - rest.length;
  const groups =
    restText === undefined ? head : [...head, ...Array<string>(missing).fill("0"), ...rest];
  if (groups.length !== 8) return null;
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  });
  if (tailBytes) out.set(tailBytes, 12);
  return out;
}

function stripZone(ip: string): string {
  const percent = ip.indexOf("%");
  return percent === -1 ? ip : ip.slice(0, percent);
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function matchesPrefix(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const remaining = Math.min(8, bits - bit);
    const mask = (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyIPv4(b: Uint8Array): AddressClass {
  const [a = 0, c = 0] = b;
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 10) return "private";
  if (a === 172 && (c & 0xf0) === 16) return "private";
  if (a === 192 && c === 168) return "private";
  if (a === 100 && (c & 0xc0) === 64) return "private";
  if (a === 169 && c === 254) return "link-local";
  if (a === 192 && c === 0 && b[2] === 0) return "reserved";
  if (a === 192 && c === 0 && b[2] === 2) return "reserved";
  if (a === 198 && (c & 0xfe) === 18) return "reserved";
  if (a === 198 && c === 51 && b[2] === 100) return "reserved";
  if (a === 203 && c === 0 && b[2] === 113) return "reserved";
  if (a >= 224) return "reserved";
  return "public";
}

function classifyIPv6(b: Uint8Array): AddressClass {
  const allZeroUpTo = (end: number) => b.subarray(0, end).every((x) => x === 0);
  if (allZeroUpTo(16)) return "unspecified";
  if (allZeroUpTo(15) && b[15] === 1) return "loopback";
  // Forms that carry an IPv4 address must be judged by that address, or
  // ::ffff:10.0.0.1 would sneak a private target past the guard.
  if (allZeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4(b.subarray(12));
  if (allZeroUpTo(12)) return classifyIPv4(b.subarray(12));
  if (matchesPrefix(b, [0, 0x64, 0xff, 0x9b], 96)) return classifyIPv4(b.subarray(12));
  if (matchesPrefix(b, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return "private";
  if (matchesPrefix(b, [0x20, 0x02], 16)) {
    const embedded = classifyIPv4(b.subarray(2, 6));
    return embedded === "public" ? "public" : embedded;
  }
  if ((b[0]! & 0xfe) === 0xfc) return "private";
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local";
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return "private";
  if (b[0] === 0xff) return "reserved";
  if (matchesPrefix(b, [0x01, 0], 64)) return "reserved";
  if (matchesPrefix(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return "reserved";
  return "public";
}

export function classifyAddress(ip: string): AddressClass {
  const host = stripBrackets(ip);
  const v4 = parseIPv4(host);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(host);
  if (v6) return classifyIPv6(v6);
  return "invalid";
}

function toMatchableBytes(ip: string): { family: 4 | 6; bytes: Uint8Array } | null {
  const v4 = parseIPv4(ip);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(ip);
  if (!v6) return null;
  // Lets an IPv4 allowlist entry cover the IPv4-mapped spelling of the same address.
  if (v6.subarray(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return { family: 4, bytes: v6.slice(12) };
  }
  return { family: 6, bytes: v6 };
}

function parseCidr(entry: string): Cidr | null {
  const [addressPart = "", prefixPart] = entry.split("/");
  const parsed = toMatchableBytes(stripBrackets(addressPart));
  if (!parsed) return null;
  const maxPrefix = parsed.family === 4 ? 32 : 128;
  if (prefixPart === undefined) return { ...parsed, prefix: maxPrefix };
  if (!/^\d{1,3}$/.test(prefixPart)) return null;
  const prefix = Number(prefixPart);
  if (prefix > maxPrefix) return null;
  return { ...parsed, prefix };
}

function normalizeHostname(host: string): string {
  const lower = stripBrackets(host.trim().toLowerCase());
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

const HOSTNAME_PATTERN = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** `port` limits an entry to one service on that host; without it every port is allowed. */
export type AllowlistEntry =
  { kind: "host"; name: string; port?: number } | { kind: "cidr"; cidr: Cidr; port?: number };

/** "host:port", "1.2.3.4:port" or "[::1]:port": the entry and its port; null when there is none. */
function splitPort(entry: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})$/.exec(entry);
  if (!match) return null;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: match[1]!, port } : null;
}

export function parseAllowlistEntry(raw: string): AllowlistEntry | null {
  const entry = raw.trim();
  if (entry === "") return null;
  const cidr = parseCidr(entry);
  if (cidr) return { kind: "cidr", cidr };
  const withPort = splitPort(entry);
  if (withPort) {
    // a port narrows one host or address; a range with a port is not a thing we accept
    if (withPort.host.includes("/")) return null;
    const inner = parseAllowlistEntry(withPort.host);
    return inner ? { ...inner, port: withPort.port } : null;
  }
  if (entry.includes("/") || entry.startsWith("[")) return null;
  const name = normalizeHostname(entry);
  return HOSTNAME_PATTERN.test(name) ? { kind: "host", name } : null;
}

export type AddressPolicy = {
  // null means the connection may proceed. Without a port, only entries without one can allow it.
  check(hostname: string, address: string, port?: number): DownloadError | null;
};

export function createAddressPolicy(allowlist: readonly string[]): AddressPolicy {
  const hosts: { name: string; port?: number }[] = [];
  const cidrs: { cidr: Cidr; port?: number }[] = [];
  for (const raw of allowlist) {
    if (raw.trim() === "") continue;
    const entry = parseAllowlistEntry(raw);
    if (!entry) throw new Error(`invalid private-host allowlist entry: ${raw}`);
    if (entry.kind === "host") hosts.push({ name: entry.name, port: entry.port });
    else cidrs.push({ cidr: entry.cidr, port: entry.port });
  }
  const portMatches = (entryPort: number | undefined, port: number | undefined) =>
    entryPort === undefined || entryPort === port;

  const isAddressAllowlisted = (address: string, port: number | undefined): boolean => {
    if (cidrs.length === 0) return false;
    const parsed = toMatchableBytes(address);
    if (!parsed) return false;
    return cidrs.some(
      ({ cidr, port: entryPort }) =>
        portMatches(entryPort, port) &&
        cidr.family === parsed.family &&
        matchesPrefix(parsed.bytes, Array.from(cidr.bytes), cidr.prefix),
    );
  };

  const isHostnameAllowlisted = (hostname: string, port: number | undefined) => {
    const name = normalizeHostname(hostname);
    return hosts.some((entry) => entry.name === name && portMatches(entry.port, port));
  };

  return {
    check(hostname, rawAddress, port) {
      const address = stripZone(stripBrackets(rawAddress));
      const addressClass = classifyAddress(address);
      if (addressClass === "public") return null;
      if (isHostnameAllowlisted(hostname, port) || isAddressAllowlisted(address, port)) return null;
      return new DownloadError(
        "blocked_address",
        `blocked: resolves to a private address (${address})`,
      );
    },
  };
}

// Checking after resolution (not on the URL text) is what defeats DNS names
// that point at internal addresses, including ones that change between lookups.
export function createGuardedLookup(
  policy: AddressPolicy,
  baseLookup: typeof dns.lookup = dns.lookup,
  port?: number,
): net.LookupFunction {
  return (hostname, options, callback) => {
    baseLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, "", 0);
        return;
      }
      const list = addresses as dns.LookupAddress[];
      for (const entry of list) {
        const blocked = policy.check(hostname, entry.address, port);
        if (blocked) {
          callback(blocked as unknown as NodeJS.ErrnoException, "", 0);
          return;
        }
      }
      if (options.all) {
        (callback as unknown as (err: null, addresses: dns.LookupAddress[]) => void)(null, list);
        return;
      }
      const first = list[0];
      if (!first) {
        callback(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }),
          "",
          0,
        );
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

/** The port a URL or connection goes to, with the scheme's default filled in. */
export function effectivePort(port: string | number | undefined | null, protocol: string): number {
  const number = Number(port);
  return port !== undefined && port !== null && port !== "" && number > 0
    ? number
    : protocol === "https:"
      ? 443
      : 80;
}

// A few ports per engine in practice (80, 443, an internal service); tests open many.
const MAX_CONNECTORS_BY_PORT = 64;

export function createGuardedConnector(
  policy: AddressPolicy,
  options: { connectTimeoutMs: number; trustedCa?: string },
): buildConnector.connector {
  // The lookup hook never learns the port, so an allowlist entry like "127.0.0.1:8080" needs one
  // connector per port, each judging its resolved addresses for that port.
  const byPort = new Map<number, buildConnector.connector>();
  const connectorFor = (port: number) => {
    let connector = byPort.get(port);
    if (!connector) {
      if (byPort.size >= MAX_CONNECTORS_BY_PORT) byPort.clear();
      connector = buildConnector({
        timeout: options.connectTimeoutMs,
        lookup: createGuardedLookup(policy, dns.lookup, port),
        ...(options.trustedCa === undefined ? {} : { ca: options.trustedCa }),
      } as buildConnector.BuildOptions);
      byPort.set(port, connector);
    }
    return connector;
  };
  return (connectOptions, callback) => {
    const hostname = stripBrackets(connectOptions.hostname);
    const port = effectivePort(connectOptions.port, connectOptions.protocol);
    // net.connect skips the lookup hook for IP literals, so they are judged here.
    if (net.isIP(hostname)) {
      const blocked = policy.check(hostname, hostname, port);
      if (blocked) {
        queueMicrotask(() => callback(blocked, null));
        return;
      }
    }
    connectorFor(port)(connectOptions, callback);
  };
}
