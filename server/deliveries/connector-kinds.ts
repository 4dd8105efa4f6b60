import { ConnectorError } from "@/server/connectors/connector-error";
import type { ConnectorKindBase, TConnectorContext } from "@/server/connectors/types";
import { createEmailDelivery } from "./email";
import { createFolderDelivery } from "./folder";
import { createS3Delivery } from "./s3";
import { FILE_DESTINATION_SCHEMAS } from "./schemas";
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
