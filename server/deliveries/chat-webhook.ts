import type { ConnectorHttp } from "@/server/connectors/connector-http";
import { DownloadError } from "@/server/downloads";
import { DeliveryError, type TAlertMessage } from "./types";

/** what a service's refusal may say in our message, at most */
const ANSWER_SHOWN_CHARS = 200;

type TChatKind = "slack" | "teams";

/** Slack's mrkdwn reads &, < and > as markup: text from a run's error must not become a link. */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The body each service's incoming webhook takes. */
export function chatPayload(kind: TChatKind, message: TAlertMessage): unknown {
  if (kind === "slack") {
    const link = message.url ? `\n<${message.url}|Open the run>` : "";
    return {
      text: `*${slackEscape(message.title)}*\n${slackEscape(message.text)}${link}`,
    };
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: message.title,
              weight: "Bolder",
              size: "Medium",
              wrap: true,
            },
            { type: "TextBlock", text: message.text, wrap: true },
          ],
          actions: message.url
            ? [{ type: "Action.OpenUrl", title: "Open the run", url: message.url }]
            : [],
        },
      },
    ],
  };
}

/**
 * One POST of an alert to a chat service's incoming webhook. Only the host is ever named: the
 * address's path is the credential. A refusal (a revoked hook, a bad payload) is permanent; a busy
 * or unreachable service is tried again later by the alert's own retries.
 */
export async function postChatAlert(
  http: ConnectorHttp,
  kind: TChatKind,
  webhookUrl: string,
  message: TAlertMessage,
  signal?: AbortSignal,
): Promise<string> {
  const url = new URL(webhookUrl);
  const service = kind === "slack" ? "Slack" : "Teams";
  try {
    const response = await http.withOptions({ retry: "never" }).requestText(webhookUrl, {
      method: "POST",
      body: JSON.stringify(chatPayload(kind, message)),
      accept: "application/json, text/plain;q=0.9, */*;q=0.5",
      headers: { "content-type": "application/json" },
      // the address is the secret: never followed to another origin
      credentials: { origin: url.origin, headers: {}, isBodySecret: true },
      signal,
    });
    return `posted to ${service} at ${url.host}, which answered ${response.status}`;
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    const status = error.httpStatus;
    if (error.kind === "http" && status !== undefined) {
      const answer = error.responseBody?.replace(/\s+/g, " ").trim().slice(0, ANSWER_SHOWN_CHARS);
      throw new DeliveryError(
        `${service} at ${url.host} answered ${status}${answer ? `: ${answer}` : ""}`,
        { isPermanent: status !== 408 && status !== 429 && status < 500, cause: error },
      );
    }
    throw new DeliveryError(`${service} at ${url.host} could not be reached: ${error.message}`, {
      isPermanent: error.kind === "blocked_address" || error.kind === "invalid_url",
      cause: error,
    });
  }
}
