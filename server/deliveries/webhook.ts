import { createHmac, randomUUID } from "node:crypto";
import type { ConnectorHttp } from "@/server/connectors/connector-http";
import { DownloadError, systemClock, type Clock } from "@/server/downloads";
import { redactUrl } from "@/server/downloads/redact-url";
import { computeRetryDelayMs } from "@/server/downloads/retry";
import { ZWebhookSecrets, ZWebhookSettings } from "./schemas";
import { countFiles, firstLine, parseDeliveryInput, throwIfCancelled } from "./shared";
import {
  DeliveryError,
  type TDeliveryContext,
  type TDeliveryFile,
  type TDeliveryKind,
} from "./types";

/** The engine's own default (readDownloadLimitsFromEnv): a webhook is tried as often as a download. */
const DEFAULT_MAX_ATTEMPTS = 4;
/** what a receiver's answer may say in our message, at most */
const ANSWER_SHOWN_CHARS = 200;

export const TIMESTAMP_HEADER = "X-DataHaul-Timestamp";
export const SIGNATURE_HEADER = "X-DataHaul-Signature";
export const DELIVERY_ID_HEADER = "X-DataHaul-Delivery";

export type TWebhookDeliveryOptions = {
  /**
   * Our HTTP helpers over the download engine (the runtime's connectorHttp): the address guard,
   * connection limits and timeouts apply to webhooks as to every outside call.
   */
  http: ConnectorHttp;
  /** tries of one call when the receiver answers 429 or 5xx */
  maxAttempts?: number;
  clock?: Clock;
  random?: () => number;
};

/**
 * `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: the timestamp is signed with the body
 * so a receiver that refuses old timestamps cannot be sent a captured call again later.
 */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

function describeWebhookError(
  error: DownloadError,
  shownUrl: string,
  attempts: number,
): DeliveryError {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  if (error.kind === "http" && error.httpStatus !== undefined) {
    const answer = error.responseBody?.replace(/\s+/g, " ").trim().slice(0, ANSWER_SHOWN_CHARS);
    const status = error.httpStatus;
    return new DeliveryError(
      `the webhook at ${shownUrl} answered ${error.message}${tries}${answer ? `: ${answer}` : ""}`,
      { isPermanent: status !== 408 && status !== 429 && status < 500, cause: error },
    );
  }
  if (error.kind === "blocked_address") {
    return new DeliveryError(
      `the webhook at ${shownUrl} was not called: ${error.message.replace(/^blocked: /, "it ")}; an admin can allow the host with DOWNLOAD_ALLOW_PRIVATE_HOSTS`,
      { isPermanent: true, cause: error },
    );
  }
  if (error.kind === "invalid_url" || error.kind === "refused_redirect") {
    return new DeliveryError(`the webhook at ${shownUrl} was not called: ${error.message}`, {
      isPermanent: true,
      cause: error,
    });
  }
  if (error.kind === "cancelled")
    return new DeliveryError("the delivery was cancelled", { cause: error });
  return new DeliveryError(`the webhook at ${shownUrl} could not be reached: ${error.message}`, {
    cause: error,
  });
}

export function createWebhookDelivery(
  options: TWebhookDeliveryOptions,
): TDeliveryKind<typeof ZWebhookSettings, typeof ZWebhookSecrets> {
  const http = options.http.withOptions({ retry: "never" });
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);

  /**
   * One POST, tried again only when the receiver says it could not take it now (429 or 5xx),
   * after the engine's back-off or the receiver's Retry-After. Each try is signed anew with its
   * own timestamp, so a receiver's freshness check holds on the last try too; the delivery id
   * stays, so a receiver that got a try whose answer was lost can tell the repeat.
   */
  async function post(
    url: string,
    event: string,
    body: string,
    secret: string,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; attempts: number }> {
    const shownUrl = redactUrl(new URL(url));
    const deliveryId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const timestamp = String(Math.floor(clock.now() / 1000));
      try {
        const response = await http.requestText(url, {
          method: "POST",
          body,
          accept: "application/json, text/plain;q=0.9, */*;q=0.5",
          headers: {
            "content-type": "application/json",
            [TIMESTAMP_HEADER]: timestamp,
            [DELIVERY_ID_HEADER]: deliveryId,
            "X-DataHaul-Event": event,
          },
          // the signature is kept to the webhook's origin, and so is the body: its download links
          // are as good as the files, so a redirect elsewhere that would carry it is refused
          credentials: {
            origin: new URL(url).origin,
            headers: { [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body) },
            isBodySecret: true,
          },
          signal,
        });
        return { status: response.status, attempts: attempt };
      } catch (error) {
        if (!(error instanceof DownloadError)) throw error;
        if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
        const status = error.httpStatus;
        const isBusy =
          error.kind === "http" && status !== undefined && (status === 429 || status >= 500);
        if (!isBusy || attempt >= maxAttempts) throw describeWebhookError(error, shownUrl, attempt);
        try {
          await clock.sleep(computeRetryDelayMs(error, attempt, random), signal);
        } catch {
          throw new DeliveryError("the delivery was cancelled");
        }
      }
    }
  }

  const parse = (rawSettings: unknown, rawSecrets: unknown) => ({
    settings: parseDeliveryInput(ZWebhookSettings, rawSettings, "webhook delivery's settings"),
    secrets: parseDeliveryInput(ZWebhookSecrets, rawSecrets, "webhook delivery's secrets"),
  });

  const describeFile = (file: TDeliveryFile, context: TDeliveryContext) => ({
    name: file.name,
    bytes: file.bytes,
    sha256: file.sha256,
    contentType: file.contentType,
    url: context.linkFor!(file),
  });

  return {
    kind: "webhook",
    label: "Webhook",
    settingsSchema: ZWebhookSettings,
    secretsSchema: ZWebhookSecrets,

    /** The run's summary and a signed download link per file, in one signed POST: the receiver fetches the files itself. */
    async deliver(rawSettings, rawSecrets, files, context) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      throwIfCancelled(context.signal);
      if (files.length > 0 && !context.linkFor) {
        throw new DeliveryError(
          "a webhook sends download links, and none can be made here: set APP_URL to the address people reach DataHaul at",
          {
            isPermanent: true,
          },
        );
      }
      const body = JSON.stringify({
        event: "delivery",
        sentAt: new Date(clock.now()).toISOString(),
        summary: context.summary,
        files: files.map((file) => describeFile(file, context)),
      });
      const shownUrl = redactUrl(new URL(settings.url));
      const { status, attempts } = await post(
        settings.url,
        "delivery",
        body,
        secrets.signingSecret,
        context.signal,
      );
      const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
      return {
        message: `links to ${countFiles(files.length)} posted to ${shownUrl}, which answered ${status}${tries}`,
        files: files.map((file) => ({
          name: file.name,
          deliveredAs: file.name,
          bytes: file.bytes,
          location: `download link posted to ${shownUrl}`,
        })),
      };
    },

    /** The alert as JSON (`event: "alert"`), signed like a delivery. */
    async alert(rawSettings, rawSecrets, message, alertOptions = {}) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      const body = JSON.stringify({
        event: "alert",
        sentAt: new Date(clock.now()).toISOString(),
        alert: message,
      });
      const shownUrl = redactUrl(new URL(settings.url));
      const { status } = await post(
        settings.url,
        "alert",
        body,
        secrets.signingSecret,
        alertOptions.signal,
      );
      return `posted to ${shownUrl}, which answered ${status}`;
    },

    async test(rawSettings, rawSecrets, testOptions = {}) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      const body = JSON.stringify({
        event: "test",
        sentAt: new Date(clock.now()).toISOString(),
        summary: {},
        files: [],
      });
      const shownUrl = redactUrl(new URL(settings.url));
      try {
        const { status } = await post(
          settings.url,
          "test",
          body,
          secrets.signingSecret,
          testOptions.signal,
        );
        return `${shownUrl} accepted a signed test event (it answered ${status})`;
      } catch (error) {
        if (error instanceof DeliveryError) throw error;
        throw new DeliveryError(`the webhook test failed: ${firstLine(error)}`, { cause: error });
      }
    },
  };
}
