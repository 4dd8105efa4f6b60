import { ConnectorError } from "@/server/connectors/connector-error";
import type { ConnectorKindBase, TConnectorContext } from "@/server/connectors/types";
import { createEmailDelivery } from "./email";
import { createFolderDelivery } from "./folder";
import { createS3Delivery } from "./s3";
import { postChatAlert } from "./chat-webhook";
import { CHAT_CHANNEL_SCHEMAS, FILE_DESTINATION_SCHEMAS } from "./schemas";
import { deliverBySftp, testSftp } from "./sftp";
import { DeliveryError, type TDeliveryKind } from "./types";
import { createWebhookDelivery } from "./webhook";

type TFileKindName = keyof typeof FILE_DESTINATION_SCHEMAS;

/** A connection test's failure in the words every connector test uses. */
function asConnectorError(error: unknown): unknown {
  return error instanceof DeliveryError ? new ConnectorError(error.message) : error;
}

function deliveryOf(
  name: Exclude<TFileKindName, "sftp">,
  context: TConnectorContext,
): TDeliveryKind {
  switch (name) {
    case "folder":
      return createFolderDelivery({ root: context.folderRoot });
    case "s3":
      return createS3Delivery();
    case "email":
      return createEmailDelivery();
    case "webhook":
      return createWebhookDelivery({ http: context.http });
  }
}

/** A file delivery as a destination connector: tested and used like every other kind. */
function fileDestinationKind(name: Exclude<TFileKindName, "sftp">): ConnectorKindBase {
  return {
    ...FILE_DESTINATION_SCHEMAS[name],
    async testConnection(connection, context) {
      try {
        const delivery = deliveryOf(name, context);
        return await delivery.test(connection.settings as never, connection.secrets as never, {
          signal: context.signal,
        });
      } catch (error) {
        throw asConnectorError(error);
      }
    },
    deliverFiles: (connection, files, context) =>
      deliveryOf(name, context).deliver(
        connection.settings as never,
        connection.secrets as never,
        files,
        context.delivery,
      ),
    sendAlert(connection, message, context) {
      const delivery = deliveryOf(name, context);
      if (!delivery.alert)
        throw new DeliveryError(`a ${delivery.label} destination takes no alerts`);
      return delivery.alert(connection.settings as never, connection.secrets as never, message, {
        signal: context.signal,
      });
    },
  };
}

/** SFTP pins the server's host key on first use: the connector keeps what the first use saw. */
const sftpDestinationKind: ConnectorKindBase = {
  ...FILE_DESTINATION_SCHEMAS.sftp,
  async testConnection(connection, context) {
    try {
      const tested = await testSftp(connection.settings as never, connection.secrets as never, {
        signal: context.signal,
      });
      await remember(connection.settings, tested.fingerprint, context);
      return tested.message;
    } catch (error) {
      throw asConnectorError(error);
    }
  },
  async deliverFiles(connection, files, context) {
    const result = await deliverBySftp(
      connection.settings as never,
      connection.secrets as never,
      files,
      context.delivery,
    );
    await remember(connection.settings, result.fingerprint, context);
    return result;
  },
};

async function remember(
  settings: unknown,
  fingerprint: string,
  context: TConnectorContext,
): Promise<void> {
  if ((settings as { hostKeyFingerprint?: string }).hostKeyFingerprint) return;
  await context.rememberSettings?.({ hostKeyFingerprint: fingerprint });
}

export const FILE_DESTINATION_KINDS: Record<TFileKindName, ConnectorKindBase> = {
  folder: fileDestinationKind("folder"),
  s3: fileDestinationKind("s3"),
  sftp: sftpDestinationKind,
  email: fileDestinationKind("email"),
  webhook: fileDestinationKind("webhook"),
};

/** Slack and Teams: alerts only, to an incoming webhook; the connection test posts a test message. */
function chatChannelKind(name: keyof typeof CHAT_CHANNEL_SCHEMAS): ConnectorKindBase {
  const webhookUrlOf = (connection: { secrets: unknown }) =>
    (connection.secrets as { webhookUrl: string }).webhookUrl;
  return {
    ...CHAT_CHANNEL_SCHEMAS[name],
    async testConnection(connection, context) {
      try {
        return await postChatAlert(
          context.http,
          name,
          webhookUrlOf(connection),
          {
            event: "test",
            title: "DataHaul test message",
            text: `Alerts from DataHaul will arrive here (the channel "${connection.name}").`,
            url: null,
            schedule: null,
            occurredAt: new Date().toISOString(),
          },
          context.signal,
        );
      } catch (error) {
        throw asConnectorError(error);
      }
    },
    sendAlert: (connection, message, context) =>
      postChatAlert(context.http, name, webhookUrlOf(connection), message, context.signal),
  };
}

export const CHAT_CHANNEL_KINDS: Record<keyof typeof CHAT_CHANNEL_SCHEMAS, ConnectorKindBase> = {
  slack: chatChannelKind("slack"),
  teams: chatChannelKind("teams"),
};
