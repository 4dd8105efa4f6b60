/**
 * The header scripts/server.mjs sets on every request to the client's address: the socket's peer, or
 * what a proxy listed in TRUSTED_PROXIES forwarded. A value a client sent is overwritten there, so
 * it can key rate limits (the name is repeated in scripts/client-address.mjs).
 */
export const CLIENT_ADDRESS_HEADER = "x-datahaul-client-address";

/** The client's address, or "unknown" when the app runs without scripts/server.mjs (next dev). */
export function clientAddress(headers: Headers): string {
  return headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
}
