import { gaxios, JWT } from "google-auth-library";
import { DownloadError } from "@/server/downloads";
import type { ConnectorHttp } from "../connector-http";
import { ConnectorError, describeTransportError } from "../connector-error";
import type { TServiceAccountKey } from "./schemas";

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";
/** Where google-auth-library sends every token request, and the audience it signs for. */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export type TGoogleToken = { accessToken: string };

/**
 * google-auth-library's HTTP, sent through our download engine (address guard, limits, the
 * credentials kept to their origin). Its token request goes to the key file's token_uri, which is
 * Google's own for every key Google issues; the assertion keeps Google's audience either way.
 */
function fetchThrough(http: ConnectorHttp, tokenUri: string, signal?: AbortSignal) {
  return async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const requested = input instanceof Request ? input.url : String(input);
    const url = requested === GOOGLE_TOKEN_URL ? tokenUri : requested;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const body = init?.body === undefined || init.body === null ? undefined : String(init.body);
    // fetch itself names a form body's type; the engine sends the body as text
    if (init?.body instanceof URLSearchParams && !headers["content-type"]) {
      headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
    }
    try {
      const answer = await http.requestText(url, {
        method: init?.method ?? "GET",
        headers,
        body,
        // the body carries a signed assertion: it never follows a redirect elsewhere
        credentials: { origin: new URL(url).origin, headers: {}, isBodySecret: true },
        signal,
      });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    } catch (error) {
      if (error instanceof DownloadError && error.httpStatus) {
        return new Response(error.responseBody ?? "", {
          status: error.httpStatus,
          headers: { "content-type": "application/json" },
        });
      }
      throw error;
    }
  };
}

/** Google's reason for refusing a sign-in: `{"error":"invalid_grant","error_description":"…"}`. */
function tokenRefusal(error: unknown): string | null {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const parsed =
    typeof data === "string"
      ? (() => {
          try {
            return JSON.parse(data) as unknown;
          } catch {
            return null;
          }
        })()
      : data;
  if (parsed && typeof parsed === "object") {
    const fields = parsed as { error?: unknown; error_description?: unknown };
    if (typeof fields.error_description === "string") return fields.error_description;
    if (typeof fields.error === "string") return fields.error;
  }
  return null;
}

/** A fresh access token for the service account (the JWT bearer grant, signed RS256). */
export async function signInWithServiceAccount(
  key: TServiceAccountKey,
  http: ConnectorHttp,
  signal?: AbortSignal,
): Promise<TGoogleToken> {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [SHEETS_SCOPE],
    transporter: new gaxios.Gaxios({
      fetchImplementation: fetchThrough(http, key.token_uri, signal),
    }),
  });
  try {
    const credentials = await client.authorize();
    if (!credentials.access_token) {
      throw new ConnectorError("Google accepted the sign-in but sent no access token");
    }
    return { accessToken: credentials.access_token };
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    const refusal = tokenRefusal(error);
    if (refusal) {
      throw new ConnectorError(
        `Google refused the sign-in of ${key.client_email}: ${refusal}${/signature/i.test(refusal) ? " (the key may have been deleted or replaced: create a new key for this service account)" : ""}`,
      );
    }
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (/private key|PEM|asn1|DECODER/i.test(String((cause as Error).message ?? ""))) {
      throw new ConnectorError(
        "the service account key's private_key cannot be read; paste the key file again",
      );
    }
    throw describeTransportError(cause, "signing in to Google");
  }
}
