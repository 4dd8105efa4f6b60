import "server-only";
import { createHash } from "node:crypto";
import * as oidc from "openid-client";
import { z } from "@/server/forms/zod";
import { SSO_NEW_USER_ROLES, type TSsoRefusalCode } from "@/server/auth/sso-refusals";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";

const SETTING_KEY = "singleSignOn";
/** What we ask the provider for: an ID token, and the email it has verified. */
const SCOPE = "openid email profile";
const PROVIDER_TIMEOUT_SECONDS = 15;
const DISCOVERY_CACHE_MS = 10 * 60_000;

type TStoredSettings = {
  isEnabled: boolean;
  issuer: string;
  clientId: string;
  sealedClientSecret: string | null;
  buttonLabel: string;
  newUsers: "refuse" | "create";
  defaultRole: (typeof SSO_NEW_USER_ROLES)[number];
};

const DEFAULTS: TStoredSettings = {
  isEnabled: false,
  issuer: "",
  clientId: "",
  sealedClientSecret: null,
  buttonLabel: "",
  newUsers: "refuse",
  defaultRole: "viewer",
};

export const ZSingleSignOnInput = z
  .object({
    isEnabled: z.boolean(),
    issuer: z.string().trim().max(500),
    clientId: z.string().trim().max(500),
    /** blank keeps the saved secret */
    clientSecret: z.string().max(4000).default(""),
    buttonLabel: z.string().trim().max(60).default(""),
    newUsers: z.enum(["refuse", "create"]),
    defaultRole: z.enum(SSO_NEW_USER_ROLES),
  })
  .superRefine((input, ctx) => {
    if (input.issuer && !isHttpAddress(input.issuer))
      ctx.addIssue({
        code: "custom",
        path: ["issuer"],
        message: "Enter the issuer's address, starting with https://.",
      });
    if (!input.isEnabled) return;
    if (!input.issuer)
      ctx.addIssue({ code: "custom", path: ["issuer"], message: "Enter the issuer's address." });
    if (!input.clientId)
      ctx.addIssue({
        code: "custom",
        path: ["clientId"],
        message: "Enter the client ID the provider gave DataHaul.",
      });
  });

export type TSingleSignOnView = Omit<TStoredSettings, "sealedClientSecret"> & {
  hasClientSecret: boolean;
};

function isHttpAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.username;
  } catch {
    return false;
  }
}

async function readStored(): Promise<TStoredSettings> {
  const row = await db.setting.findUnique({ where: { key: SETTING_KEY } });
  if (!row) return DEFAULTS;
  try {
    return { ...DEFAULTS, ...(JSON.parse(row.value) as Partial<TStoredSettings>) };
  } catch {
    return DEFAULTS;
  }
}

function viewOf(stored: TStoredSettings): TSingleSignOnView {
  const { sealedClientSecret, ...rest } = stored;
  return { ...rest, hasClientSecret: Boolean(sealedClientSecret) };
}

export async function getSingleSignOn(): Promise<TSingleSignOnView> {
  return viewOf(await readStored());
}

/** The sign-in page's button, when single sign-on is on. */
export async function singleSignOnButton(): Promise<{ label: string } | null> {
  const stored = await readStored();
  if (!stored.isEnabled) return null;
  return { label: stored.buttonLabel || "Sign in with single sign-on" };
}

/**
 * Saves the settings. Switched on, the provider must answer its discovery document first, so a
 * typo shows here and not to the next person signing in. Like a connector's secrets, the client
 * secret goes only to the issuer it was entered for: a new issuer needs it typed again.
 */
export async function saveSingleSignOn(
  input: z.input<typeof ZSingleSignOnInput>,
): Promise<TSingleSignOnView> {
  const parsed = ZSingleSignOnInput.parse(input);
  const stored = await readStored();
  const isNewOrigin = Boolean(
    stored.issuer &&
    parsed.issuer &&
    new URL(stored.issuer).origin !== new URL(parsed.issuer).origin,
  );
  if (isNewOrigin && stored.sealedClientSecret && !parsed.clientSecret)
    throw new AppError(
      "BAD_REQUEST",
      "The issuer moved to another address: enter the client secret again. A saved secret is sent only to the address it was entered for.",
      { clientSecret: "Enter the client secret again for the new issuer." },
    );
  const sealedClientSecret = parsed.clientSecret
    ? getRuntime().secrets.seal(parsed.clientSecret)
    : stored.sealedClientSecret;
  const next: TStoredSettings = {
    isEnabled: parsed.isEnabled,
    issuer: parsed.issuer,
    clientId: parsed.clientId,
    sealedClientSecret,
    buttonLabel: parsed.buttonLabel,
    newUsers: parsed.newUsers,
    defaultRole: parsed.defaultRole,
  };
  if (next.isEnabled) {
    if (!sealedClientSecret)
      throw new AppError("BAD_REQUEST", "Enter the client secret the provider gave DataHaul.", {
        clientSecret: "Enter the client secret.",
      });
    await discover(next).catch((error: unknown) => {
      throw new AppError("BAD_REQUEST", providerProblem(next.issuer, error), {
        issuer: "The provider did not answer as an OpenID Connect issuer.",
      });
    });
  }
  const value = JSON.stringify(next);
  await db.setting.upsert({
    where: { key: SETTING_KEY },
    create: { key: SETTING_KEY, value },
    update: { value },
  });
  return viewOf(next);
}

function providerProblem(issuer: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `Could not read ${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration: ${reason}. Check the issuer's address (for Microsoft Entra ID it ends in /v2.0, for Keycloak in /realms/<realm>).`;
}

const discoveries = new Map<string, { at: number; config: oidc.Configuration }>();

/** The provider's metadata, read once per ten minutes per settings. */
async function discover(settings: TStoredSettings): Promise<oidc.Configuration> {
  const secret = getRuntime().secrets.open<string>(settings.sealedClientSecret!);
  const key = createHash("sha256")
    .update(JSON.stringify([settings.issuer, settings.clientId, secret]))
    .digest("hex");
  const cached = discoveries.get(key);
  if (cached && Date.now() - cached.at < DISCOVERY_CACHE_MS) return cached.config;
  const issuer = new URL(settings.issuer);
  // a provider on the team's own network may speak plain http; the admin typed that address
  const execute = issuer.protocol === "http:" ? [oidc.allowInsecureRequests] : [];
  const found = await oidc.discovery(issuer, settings.clientId, undefined, undefined, {
    execute,
    timeout: PROVIDER_TIMEOUT_SECONDS,
  });
  const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
  // HTTP Basic is OAuth's default; some providers take the secret only in the form
  const clientAuth =
    !methods || methods.includes("client_secret_basic")
      ? oidc.ClientSecretBasic(secret)
      : oidc.ClientSecretPost(secret);
  const config = new oidc.Configuration(found.serverMetadata(), settings.clientId, {}, clientAuth);
  for (const apply of execute) apply(config);
  config.timeout = PROVIDER_TIMEOUT_SECONDS;
  discoveries.set(key, { at: Date.now(), config });
  return config;
}

/** Why a sign-in through the provider was refused: a code for the sign-in page, a reason for the log. */
export class SsoRefusal extends Error {
  constructor(
    readonly code: TSsoRefusalCode,
    readonly reason: string,
    readonly email: string | null = null,
  ) {
    super(reason);
    this.name = "SsoRefusal";
  }
}

/** What the browser keeps (in a signed cookie) between leaving for the provider and coming back. */
export type TPendingSignIn = { state: string; nonce: string; verifier: string; next: string };

export async function startSingleSignOn(args: {
  redirectUri: string;
  next: string;
}): Promise<{ url: string; pending: TPendingSignIn }> {
  const settings = await readStored();
  if (!settings.isEnabled || !settings.sealedClientSecret)
    throw new SsoRefusal("not_configured", "single sign-on is switched off");
  const config = await discover(settings).catch((error: unknown) => {
    throw new SsoRefusal("provider_unreachable", providerProblem(settings.issuer, error));
  });
  const pending: TPendingSignIn = {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    verifier: oidc.randomPKCECodeVerifier(),
    next: args.next,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: args.redirectUri,
    scope: SCOPE,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, pending };
}

/**
 * The provider sent the browser back: trade the code for tokens (openid-client checks the ID
 * token's issuer, audience, expiry and nonce), then find the user by the email the provider says it
 * verified, or add them with the default role when the admin allows it.
 */
export async function finishSingleSignOn(args: {
  callbackUrl: URL;
  pending: TPendingSignIn;
}): Promise<{ userId: string; isNewUser: boolean; email: string }> {
  const settings = await readStored();
  if (!settings.isEnabled || !settings.sealedClientSecret)
    throw new SsoRefusal("not_configured", "single sign-on is switched off");
  const providerError = args.callbackUrl.searchParams.get("error");
  if (providerError) {
    const description = args.callbackUrl.searchParams.get("error_description");
    throw new SsoRefusal(
      "provider_refused",
      `the provider answered ${providerError}${description ? `: ${description}` : ""}`,
    );
  }
  const config = await discover(settings).catch((error: unknown) => {
    throw new SsoRefusal("provider_unreachable", providerProblem(settings.issuer, error));
  });
  let claims: Record<string, unknown>;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, args.callbackUrl, {
      pkceCodeVerifier: args.pending.verifier,
      expectedState: args.pending.state,
      expectedNonce: args.pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    // many providers put the email only in the userinfo answer, which must be about the same subject
    const userInfo =
      typeof idClaims.email === "string" && idClaims.email_verified !== undefined
        ? {}
        : await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    claims = { ...userInfo, ...idClaims };
  } catch (error) {
    if (error instanceof SsoRefusal) throw error;
    throw new SsoRefusal("invalid_answer", describeOidcError(error));
  }
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email) throw new SsoRefusal("no_email", "the provider sent no email address");
  // Entra ID has no email_verified; its xms_edov says the email's domain is the tenant's own
  if (claims.email_verified !== true && claims.xms_edov !== true)
    throw new SsoRefusal("email_unverified", "the provider has not verified this email", email);
  const existing = await db.user.findUnique({ where: { email } });
  if (existing) {
    if (existing.disabledAt)
      throw new SsoRefusal("account_disabled", "the account is disabled", email);
    return { userId: existing.id, isNewUser: false, email };
  }
  if (settings.newUsers !== "create")
    throw new SsoRefusal("no_account", "no account uses this email", email);
  const userId = await addUser(email, nameFrom(claims, email), settings.defaultRole);
  logger.info({ email, role: settings.defaultRole }, "single sign-on added a user");
  return { userId, isNewUser: true, email };
}

async function addUser(email: string, name: string, role: string): Promise<string> {
  const id = crypto.randomUUID();
  try {
    await db.user.create({ data: { id, name, email, role, emailVerified: true } });
    return id;
  } catch (error) {
    // the same person's second tab won the race
    const winner = await db.user.findUnique({ where: { email } });
    if (winner) return winner.id;
    throw error;
  }
}

function nameFrom(claims: Record<string, unknown>, email: string): string {
  const text = (value: unknown) => (typeof value === "string" ? value.trim() : "");
  const full = text(claims.name) || [text(claims.given_name), text(claims.family_name)].join(" ");
  return (full.trim() || email.split("@")[0]!).slice(0, 100);
}

function describeOidcError(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError)
    return `the provider answered ${error.error}${error.error_description ? `: ${error.error_description}` : ""}`;
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `the provider's answer was not accepted: ${message}${cause}`;
}
