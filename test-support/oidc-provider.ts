// A real OpenID Connect provider (panva's oidc-provider, the certified implementation) on
// 127.0.0.1, with its development sign-in pages: any login name is accepted and becomes the
// account id. Some accounts make the provider misbehave the way a misconfigured or hostile one
// would, so the tests can show DataHaul refuses what it sends.
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export type TOidcAccount = {
  email: string;
  emailVerified: boolean;
  name?: string;
  /** expired: the ID token's exp is ten minutes past; wrongAudience: it names another client */
  quirk?: "expired" | "wrongAudience";
};

export type TOidcClient = { clientId: string; clientSecret: string; redirectUris: string[] };

export type TOidcProvider = {
  issuer: string;
  close(): Promise<void>;
};

export async function startOidcProvider(args: {
  clients: TOidcClient[];
  accounts: Record<string, TOidcAccount>;
}): Promise<TOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: args.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    cookies: { keys: ["test-support-cookie-key-0123456789"] },
    jwks: {
      keys: [
        {
          ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
            format: "jwk",
          }),
          kid: "test-support",
          use: "sig",
          alg: "RS256",
        },
      ],
    },
    ttl: { AccessToken: 600, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const account = args.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: account.email,
          email_verified: account.emailVerified,
          ...(account.name ? { name: account.name } : {}),
        }),
      };
    },
  });
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function (
    this: InstanceType<typeof provider.IdToken>,
    options,
  ) {
    const self = this as unknown as { available: { sub: string }; client: { clientId: string } };
    const quirk = args.accounts[self.available.sub]?.quirk;
    if (quirk === "expired")
      return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) - 600 });
    if (quirk === "wrongAudience") {
      const client = self.client;
      self.client = new Proxy(client, {
        get: (target, key) =>
          key === "clientId" ? "some-other-app" : Reflect.get(target, key, target),
      });
    }
    return issue.call(this, options);
  };
  const handle = provider.callback();
  server.on("request", (request, response) => void handle(request, response));
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Walks the provider's sign-in pages the way a browser would (cookies, redirects, the login and
 * consent forms) from the authorization address DataHaul redirected to, and returns the address
 * the provider finally sends the browser back to.
 */
export async function signInAtProvider(authorizeUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = authorizeUrl;
  let method = "GET";
  let body: URLSearchParams | undefined;
  const origin = new URL(authorizeUrl).origin;
  for (let step = 0; step < 20; step += 1) {
    const response = await fetch(url, {
      method,
      body,
      redirect: "manual",
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = pair!.split("=");
      jar.set(name!.trim(), value.join("="));
    }
    const location = response.headers.get("location");
    if (location) {
      const next = new URL(location, url);
      if (next.origin !== origin) return next.href;
      [url, method, body] = [next.href, "GET", undefined];
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`the provider answered ${response.status}: ${html.slice(0, 300)}`);
    url = new URL(action.replaceAll("&amp;", "&"), url).href;
    method = "POST";
    body = html.includes('name="login"')
      ? new URLSearchParams({ prompt: "login", login, password: "any" })
      : new URLSearchParams({ prompt: "consent" });
  }
  throw new Error("the provider kept redirecting");
}
