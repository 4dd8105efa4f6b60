import { createEmailDelivery, type TEmailDeliveryOptions } from "./email";
import { createFolderDelivery } from "./folder";
import { createS3Delivery } from "./s3";
import { createSftpDelivery } from "./sftp";
import type { TDeliveryKind } from "./types";
import { createWebhookDelivery, type TWebhookDeliveryOptions } from "./webhook";

export { createEmailDelivery } from "./email";
export { createFolderDelivery } from "./folder";
export { createS3Delivery } from "./s3";
export { createSftpDelivery, deliverBySftp, hostKeyFingerprint, testSftp } from "./sftp";
export {
  createWebhookDelivery,
  DELIVERY_ID_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
} from "./webhook";
export { deliveryFileNames } from "./file-name-template";
export {
  ZDeliveryFileNameTemplate,
  ZEmailSecrets,
  ZEmailSettings,
  ZFolderSecrets,
  ZFolderSettings,
  ZS3Secrets,
  ZS3Settings,
  ZSftpSecrets,
  ZSftpSettings,
  ZWebhookSecrets,
  ZWebhookSettings,
} from "./schemas";
export {
  DeliveryError,
  type TDeliveredFile,
  type TDeliveryContext,
  type TDeliveryFile,
  type TDeliveryKind,
  type TDeliveryResult,
} from "./types";

export const DELIVERY_KIND_NAMES = ["folder", "s3", "sftp", "email", "webhook"] as const;
export type TDeliveryKindName = (typeof DELIVERY_KIND_NAMES)[number];

/** What the kinds need from the app; each is passed in, none is read from the environment here. */
export type TDeliveryDeps = {
  /** DELIVERY_FOLDER_ROOT; unset switches folder deliveries off */
  folderRoot: string | undefined;
  /** the runtime's connectorHttp, so webhooks go through the download engine and its guard */
  http: TWebhookDeliveryOptions["http"];
  webhook?: Omit<TWebhookDeliveryOptions, "http">;
  email?: TEmailDeliveryOptions;
};

/** Every delivery kind by its name, built once with what the app gives them. */
export function createDeliveryKinds(deps: TDeliveryDeps): Record<TDeliveryKindName, TDeliveryKind> {
  return {
    folder: createFolderDelivery({ root: deps.folderRoot }),
    s3: createS3Delivery(),
    sftp: createSftpDelivery(),
    email: createEmailDelivery(deps.email),
    webhook: createWebhookDelivery({ http: deps.http, ...deps.webhook }),
  };
}
