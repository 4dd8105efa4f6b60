import {
  AuthError,
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";
import { DownloadError } from "@/server/downloads";
import type { ConnectorHttp } from "../connector-http";
import { ConnectorError, describeTransportError } from "../connector-error";

export const POWER_BI_SCOPE = "https://analysis.windows.net/powerbi/api/.default";

export type TPowerBiToken = { accessToken: string };

/**
 * msal-node's HTTP, sent through our download engine (address guard, limits, credentials kept to
 * their origin). An error status is handed back as msal expects, so it reports Microsoft's own
 * error (AADSTS…) instead of a transport failure.
 */
function networkThrough(http: ConnectorHttp, signal?: AbortSignal): INetworkModule {
  const send = async <T>(
    method: "GET" | "POST",
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    try {
      const answer = await http.requestText(url, {
        method,
        headers: options?.headers ?? {},
        body: options?.body,
        // a token request's body holds the client secret: it never follows a redirect elsewhere
        credentials: { origin: new URL(url).origin, headers: {}, isBodySecret: method === "POST" },
        signal,
      });
      return { status: answer.status, headers: answer.headers, body: parseJson(answer.body) as T };
    } catch (error) {
      if (error instanceof DownloadError && error.httpStatus) {
        return { status: error.httpStatus, headers: {}, body: parseJson(error.responseBody) as T };
      }
      throw error;
    }
  };
  return {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return {};
  }
}

/**
 * "AADSTS7000215: Invalid client secret provided. …" out of msal's "Error(s): 7000215 - Timestamp:
 * … - Description: AADSTS7000215: … Trace ID: … Correlation ID: …".
 */
function microsoftReason(error: AuthError): string {
  const text = error.errorMessage || error.message;
  const description = /Description:\s*([\s\S]*)/.exec(text)?.[1] ?? text;
  return description.split(/\s*(Trace ID|Correlation ID|Timestamp):/)[0]!.trim() || error.errorCode;
}

/** An app-only access token for the Power BI REST API (OAuth client credentials). */
export async function signInToPowerBi(
  settings: { tenantId: string; clientId: string; authorityHost: string },
  clientSecret: string | undefined,
  http: ConnectorHttp,
  signal?: AbortSignal,
): Promise<TPowerBiToken> {
  if (!clientSecret) throw new ConnectorError("no client secret is set for this connector");
  let authorityHost: URL;
  try {
    authorityHost = new URL(settings.authorityHost);
  } catch {
    throw new ConnectorError(`the sign-in host "${settings.authorityHost}" is not an address`);
  }
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: settings.clientId,
      clientSecret,
      authority: `${authorityHost.origin}/${encodeURIComponent(settings.tenantId)}`,
      // the host is named, so msal asks it for its metadata instead of a discovery service
      knownAuthorities: [authorityHost.host],
    },
    system: { networkClient: networkThrough(http, signal) },
  });
  try {
    const result = await app.acquireTokenByClientCredential({ scopes: [POWER_BI_SCOPE] });
    if (!result?.accessToken) throw new ConnectorError("Microsoft sent no access token");
    return { accessToken: result.accessToken };
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    if (error instanceof AuthError && error.errorCode !== "network_error") {
      if (/https/i.test(error.errorCode) || error.errorCode === "authority_uri_insecure") {
        throw new ConnectorError(`the sign-in host must be an https:// address`);
      }
      throw new ConnectorError(`Microsoft refused the sign-in: ${microsoftReason(error)}`);
    }
    throw describeTransportError(error, "signing in to Microsoft");
  }
}
