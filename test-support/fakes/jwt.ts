// Minimal compact-JWS helpers: HS256 for the Superset fake's own tokens, RS256 for the
// Salesforce JWT bearer grant (tests sign assertions with signJwt and a generated key pair).
import { createHmac, sign, timingSafeEqual, verify, type KeyLike } from "node:crypto";

export type JwtClaims = Record<string, unknown>;

export type JwtSigningKey =
  { alg: "HS256"; secret: Buffer | string } | { alg: "RS256"; privateKey: KeyLike };

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function hs256(input: string, secret: Buffer | string): Buffer {
  return createHmac("sha256", secret).update(input).digest();
}

export function signJwt(claims: JwtClaims, key: JwtSigningKey): string {
  const signingInput = `${base64UrlJson({ alg: key.alg, typ: "JWT" })}.${base64UrlJson(claims)}`;
  const signature =
    key.alg === "HS256"
      ? hs256(signingInput, key.secret)
      : sign("sha256", Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${signature.toString("base64url")}`;
}

export type DecodedJwt = {
  header: Record<string, unknown>;
  claims: JwtClaims;
  signingInput: string;
  signature: Buffer;
};

// Structure only; the signature is checked by verifyJwt.
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    if (typeof header !== "object" || header === null || Array.isArray(header)) return undefined;
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return undefined;
    return {
      header: header as Record<string, unknown>,
      claims: claims as JwtClaims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, "base64url"),
    };
  } catch {
    return undefined;
  }
}

export type JwtVerifyKey =
  { alg: "HS256"; secret: Buffer | string } | { alg: "RS256"; publicKey: KeyLike };

// Rejects a token whose header names another algorithm, so "alg":"none" cannot slip through.
export function verifyJwt(decoded: DecodedJwt, key: JwtVerifyKey): boolean {
  if (decoded.header.alg !== key.alg) return false;
  if (key.alg === "HS256") {
    const expected = hs256(decoded.signingInput, key.secret);
    return (
      expected.length === decoded.signature.length && timingSafeEqual(expected, decoded.signature)
    );
  }
  try {
    return verify("sha256", Buffer.from(decoded.signingInput), key.publicKey, decoded.signature);
  } catch {
    return false;
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
