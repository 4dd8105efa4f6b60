import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "@/server/connectors/types";
import { validateFileNameTemplate } from "@/server/services/reports/file-name-template";

// The forms of the file deliveries, free of server-only code: the server checks settings with
// these and the browser's destination forms are generated from them.

/**
 * A delivery's file-name template, with the placeholders reports use (`{report}`,
 * `{date:yyyyMMdd_HHmm}`, `{run}`); empty keeps each file's own name. Checked where it is typed,
 * so a typo is a message next to the field and not a failed delivery at night.
 */
export const ZDeliveryFileNameTemplate = z
  .string()
  .trim()
  .max(200, "A file name template may be 200 characters at most.")
  .default("")
  .superRefine((template, ctx) => {
    const problem = template === "" ? null : validateFileNameTemplate(template);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    title: "File name",
    placeholder: "{report}_{date:yyyyMMdd}.csv (empty: the file's own name)",
  });

export const ZFolderSettings = z.object({
  subPath: z
    .string()
    .trim()
    .max(1000, "A folder path may be 1,000 characters at most.")
    .default("")
    .meta({
      title: "Folder (under the delivery root)",
      placeholder: "reports/daily (empty: the delivery root itself)",
    }),
  fileNameTemplate: ZDeliveryFileNameTemplate,
});
export const ZFolderSecrets = z.object({});

export const ZS3Settings = z.object({
  bucket: z
    .string()
    .trim()
    .min(1, "Give the bucket's name.")
    .max(255)
    .meta({ title: "Bucket", placeholder: "analytics-exports" }),
  prefix: z
    .string()
    .trim()
    .max(900, "A prefix may be 900 characters at most.")
    .default("")
    .refine(
      (prefix) => !prefix.split("/").some((part) => part === "." || part === ".."),
      "A prefix may not hold . or .. as a folder: some S3-compatible servers resolve them.",
    )
    .meta({ title: "Folder in the bucket (prefix)", placeholder: "reports/daily/" }),
  region: z.string().trim().min(1).default("us-east-1").meta({ title: "Region" }),
  /** an S3-compatible server (MinIO, Ceph, Wasabi…); empty for AWS itself */
  endpoint: z
    .string()
    .trim()
    .default("")
    .refine(
      (endpoint) => endpoint === "" || /^https?:\/\/[^\s/]+/i.test(endpoint),
      "Enter an address that starts with http:// or https://.",
    )
    .meta({
      isCredentialAddress: true,
      title: "Endpoint (S3-compatible servers only)",
      placeholder: "https://minio.example.com:9000",
    }),
  forcePathStyle: z.boolean().default(false).meta({
    title: "Path-style addresses (bucket in the path; most S3-compatible servers need this)",
  }),
  /** empty: the server's own AWS credentials (environment, instance or task role) */
  accessKeyId: z
    .string()
    .trim()
    .default("")
    .meta({ title: "Access key id", placeholder: "empty: this server's own AWS role" }),
  fileNameTemplate: ZDeliveryFileNameTemplate,
});
export const ZS3Secrets = z.object({
  secretAccessKey: z.string().optional().meta({ title: "Secret access key", widget: "password" }),
});

/** `SHA256:` and 43 base64 characters, as `ssh-keygen -l` prints a key (a trailing = tolerated) */
export const FINGERPRINT = /^(?:SHA256:)?([A-Za-z0-9+/]{43})=?$/i;

export const ZSftpSettings = z.object({
  host: z.string().trim().min(1, "Give the SFTP server's host name.").max(255).meta({
    isCredentialAddress: true,
    title: "Host",
    placeholder: "sftp.example.com",
  }),
  port: z.coerce.number().int().min(1).max(65535).default(22).meta({ title: "Port" }),
  username: z.string().trim().min(1, "Give the user name to sign in with.").max(255).meta({
    title: "User",
  }),
  remoteDirectory: z.string().trim().max(1000).default("").meta({
    title: "Remote folder",
    placeholder: "/upload/reports (empty: the folder you sign in to)",
  }),
  fileNameTemplate: ZDeliveryFileNameTemplate,
  /**
   * Recorded from the first successful connection and checked on every later one. Not a secret:
   * anyone who connects sees it.
   */
  hostKeyFingerprint: z
    .string()
    .trim()
    .default("")
    .refine(
      (value) => value === "" || FINGERPRINT.test(value),
      "A fingerprint looks like SHA256:…, as ssh-keygen -l prints it.",
    )
    .meta({
      title: "Host key fingerprint",
      placeholder: "recorded on the first connection",
    }),
});
export const ZSftpSecrets = z
  .object({
    password: z.string().optional().meta({ title: "Password", widget: "password" }),
    privateKey: z.string().optional().meta({
      title: "Private key (OpenSSH or PEM)",
      widget: "textarea",
      acceptsFile: ".pem,.key,*",
    }),
    passphrase: z.string().optional().meta({ title: "Key passphrase", widget: "password" }),
  })
  .refine(
    (secrets) => Boolean(secrets.password || secrets.privateKey),
    "Give a password or a private key.",
  );

export const SUBJECT_TOKEN = /\{([a-z]+)(?::([^}]*))?\}/g;
const SUBJECT_PLACEHOLDERS = new Set(["title", "status", "files", "date", "run"]);

function validateSubjectTemplate(template: string): string | null {
  for (const match of template.matchAll(SUBJECT_TOKEN)) {
    if (!SUBJECT_PLACEHOLDERS.has(match[1]!)) {
      return `Unknown placeholder {${match[1]}} in the subject: use {title}, {status}, {files}, {date:yyyy-MM-dd} or {run}.`;
    }
  }
  return null;
}

const splitAddresses = (text: string) => text.split(/[,;\s]+/).filter((part) => part !== "");
const ZAddress = z.email();

/**
 * "a@example.com, b@example.com" as typed in one box, or a list from the API (a stored value is
 * the list): text underneath, so the form shows one box.
 */
const ZRecipients = z.preprocess(
  (value) => (Array.isArray(value) ? value.join(", ") : value),
  z
    .string()
    .superRefine((text, ctx) => {
      const addresses = splitAddresses(text);
      if (addresses.length === 0)
        ctx.addIssue({ code: "custom", message: "Give at least one recipient." });
      else if (addresses.length > 50)
        ctx.addIssue({
          code: "custom",
          message: "At most 50 recipients: use a mailing list for more.",
        });
      else if (addresses.some((address) => !ZAddress.safeParse(address).success))
        ctx.addIssue({
          code: "custom",
          message: "Enter e-mail addresses, like name@example.com, separated by commas.",
        });
    })
    .transform(splitAddresses),
);

export const ZEmailSettings = z.object({
  host: z.string().trim().min(1, "Give the mail server's host name.").max(255).meta({
    isCredentialAddress: true,
    title: "SMTP server",
    placeholder: "smtp.example.com",
  }),
  port: z.coerce.number().int().min(1).max(65535).default(587).meta({ title: "Port" }),
  security: z
    .enum(["starttls", "tls", "none"])
    .default("starttls")
    .meta({
      title: "Encryption",
      options: {
        starttls: "STARTTLS (usually port 587)",
        tls: "TLS from the start (usually port 465)",
        none: "None (a relay on a trusted network only)",
      },
    }),
  username: z.string().trim().max(255).default("").meta({
    title: "User",
    placeholder: "empty: the server takes mail without signing in",
  }),
  from: z
    .string()
    .trim()
    .regex(/[^\s@<>]+@[^\s@<>]+/, "Enter a sender address, like DataHaul <reports@example.com>.")
    .meta({ title: "From", placeholder: "DataHaul <reports@example.com>" }),
  to: ZRecipients.meta({ title: "To", placeholder: "ana@example.com, ops@example.com" }),
  subjectTemplate: z
    .string()
    .trim()
    .max(300)
    .default("{title}: {files} from DataHaul")
    .superRefine((template, ctx) => {
      const problem = validateSubjectTemplate(template);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ title: "Subject", placeholder: "{title}: {files} from DataHaul ({date:yyyy-MM-dd})" }),
  /** above it the files are linked instead of attached; 0 always links */
  maxAttachmentMb: z.coerce.number().min(0).max(100).default(10).meta({
    title: "Attach files up to (MB in all)",
  }),
  fileNameTemplate: ZDeliveryFileNameTemplate.meta({
    title: "Attachment names",
    placeholder: "{report}_{date:yyyyMMdd}.csv (empty: the file's own name)",
  }),
});
export const ZEmailSecrets = z.object({
  password: z.string().optional().meta({ title: "Password", widget: "password" }),
});

/** An http:// or https:// address (a self-hosted receiver on the local network may be plain http). */
function httpAddress(problem: string) {
  return z
    .string()
    .trim()
    .refine((value) => {
      try {
        return ["http:", "https:"].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, problem);
}

export const ZWebhookSettings = z.object({
  url: httpAddress("Enter an address that starts with http:// or https://.").meta({
    isCredentialAddress: true,
    title: "Webhook URL",
    placeholder: "https://hooks.example.com/datahaul",
  }),
});
export const ZWebhookSecrets = z.object({
  signingSecret: z
    .string()
    .min(16, "Use a signing secret of at least 16 characters (e.g. openssl rand -hex 32).")
    .meta({ title: "Signing secret", widget: "password" }),
});

/** The file destinations (their connector ids) a job's files are delivered to once it ends. */
export const ZDeliverTo = z
  .array(z.uuid())
  .max(20, "Deliver to 20 destinations at most.")
  .default([])
  .meta({
    description:
      "File destinations (folder, S3, SFTP, e-mail, webhook connector ids) that receive the files once the job ends",
  });

/** A destination without an address field: its form is its settings and its secrets. */
function addresslessDestination(
  kind: string,
  label: string,
  settingsSchema: z.ZodObject,
  secretsSchema: z.ZodObject,
  destination: TConnectorSchemas["destination"],
): TConnectorSchemas {
  return {
    kind: kind as TConnectorSchemas["kind"],
    label,
    addressHint: "",
    isAddressOptional: true,
    hasNoAddress: true,
    settingsSchema,
    secretsSchema,
    formSchema: settingsSchema.extend(secretsSchema.shape),
    destination,
  };
}

/** What every file destination's form and role share; each kind adds its label and note. */
function fileDestination(
  kind: "folder" | "s3" | "sftp" | "email" | "webhook",
  label: string,
  settingsSchema: z.ZodObject,
  secretsSchema: z.ZodObject,
  note: string,
): TConnectorSchemas {
  return addresslessDestination(kind, label, settingsSchema, secretsSchema, {
    takesRows: false,
    canRefresh: false,
    takesFiles: true,
    takesAlerts: kind === "email" || kind === "webhook",
    note,
  });
}

const TEMPLATE_NOTE =
  "File names may use {report}, {date:yyyyMMdd_HHmm} and {run}; empty keeps each file's own name.";

export const FILE_DESTINATION_SCHEMAS = {
  folder: fileDestination(
    "folder",
    "Folder on the server",
    ZFolderSettings,
    ZFolderSecrets,
    `Writes each file under a temporary name, then renames it, so a reader of the folder (a mounted share) never sees half a file. Only folders under DELIVERY_FOLDER_ROOT can be used. ${TEMPLATE_NOTE}`,
  ),
  s3: fileDestination(
    "s3",
    "S3 bucket",
    ZS3Settings,
    ZS3Secrets,
    `Amazon S3 or an S3-compatible server (MinIO, Ceph, Wasabi). Test connection writes and removes a small file. ${TEMPLATE_NOTE}`,
  ),
  sftp: fileDestination(
    "sftp",
    "SFTP server",
    ZSftpSettings,
    ZSftpSecrets,
    `The server's host key is recorded on the first connection and checked on every later one: a changed key stops the delivery. Files are uploaded under a temporary name, then renamed. ${TEMPLATE_NOTE}`,
  ),
  email: fileDestination(
    "email",
    "E-mail",
    ZEmailSettings,
    ZEmailSecrets,
    "Sends the files as attachments, or as download links when they pass the size given (links need APP_URL, and work for 7 days).",
  ),
  webhook: fileDestination(
    "webhook",
    "Webhook",
    ZWebhookSettings,
    ZWebhookSecrets,
    "POSTs the run's summary as JSON with a download link for each file (links need APP_URL, and work for 7 days), signed with HMAC-SHA256 of timestamp.body in the X-DataHaul-Signature header.",
  ),
} satisfies Record<string, TConnectorSchemas>;

const ZChatWebhookUrl = httpAddress(
  "Paste the whole incoming webhook address; it starts with https://.",
).meta({ title: "Incoming webhook URL", widget: "password" });

/** Slack and Teams take alerts only: the incoming webhook's address is the whole credential. */
function chatChannel(kind: "slack" | "teams", label: string, note: string): TConnectorSchemas {
  return addresslessDestination(
    kind,
    label,
    z.object({}),
    z.object({ webhookUrl: ZChatWebhookUrl }),
    { takesRows: false, canRefresh: false, takesFiles: false, takesAlerts: true, note },
  );
}

export const CHAT_CHANNEL_SCHEMAS = {
  slack: chatChannel(
    "slack",
    "Slack (incoming webhook)",
    "Posts alerts to the channel the incoming webhook belongs to (Slack: Apps → Incoming Webhooks; Mattermost and Rocket.Chat take the same messages). The address is a secret: anyone holding it can post.",
  ),
  teams: chatChannel(
    "teams",
    "Microsoft Teams (workflow webhook)",
    "Posts alerts as an Adaptive Card to the address of a Teams workflow “Post to a channel when a webhook request is received” (older Office 365 connector addresses take the same card). The address is a secret.",
  ),
} satisfies Record<string, TConnectorSchemas>;
