import type { z } from "@/server/forms/zod";

/** A file a run has already produced, ready to be sent somewhere. */
export type TDeliveryFile = {
  /** the file's own name ("Sales_20261123.csv"): what it is called when no template renames it */
  name: string;
  /** a local file to read; a delivery never changes or removes it */
  path: string;
  bytes: number;
  /** hex; checked against the bytes read, so a file changed under a delivery is not sent half-new */
  sha256: string;
  contentType: string;
  /**
   * What `{report}` stands for in a file-name template. Without it the name without its
   * extension does, which for a run's file already holds the report's own date stamp.
   */
  report?: string;
};

export type TDeliveryContext = {
  signal?: AbortSignal;
  /** the run's summary JSON (`run`, `reports`), put in e-mails and webhook bodies as it is */
  summary: Record<string, unknown>;
  /** a signed download link our app makes for one of the files */
  linkFor?: (file: TDeliveryFile) => string;
  /** what `{date}` in templates stands for: when the run started; now when absent */
  date?: Date;
  /** what `{run}` stands for (its first 8 characters); `summary.run.id` when absent */
  runId?: string;
  /** the time zone `{date}` is written in; UTC when absent */
  timeZone?: string;
};

/** What an alert says: a schedule's run failed, came back, or brought fewer rows than usual. */
export type TAlertMessage = {
  /** failure | partial | truncated | row_drop | recovery | test */
  event: string;
  /** one line: the subject of an e-mail, the bold line of a chat message */
  title: string;
  /** a few sentences of detail */
  text: string;
  /** the run's page, when APP_URL says where the app is */
  url: string | null;
  schedule: string | null;
  occurredAt: string;
};

/** One file as it arrived, in words a run page can show. */
export type TDeliveredFile = {
  /** the file's own name, as given */
  name: string;
  /** the name it was given there (a template may rename it) */
  deliveredAs: string;
  bytes: number;
  /** where it went: a path, an s3:// or sftp:// address, a URL, or how an e-mail carried it */
  location: string;
};

export type TDeliveryResult = {
  /** one sentence for the run page ("2 files written to /mnt/share/reports") */
  message: string;
  files: TDeliveredFile[];
  /**
   * SFTP only: the server's host key fingerprint (`SHA256:…`, as OpenSSH prints it), for the
   * caller to store and pass back next time so a changed key is refused.
   */
  fingerprint?: string;
};

/**
 * A kind of delivery: its forms (settings and write-only secrets) and what it does with them.
 * `deliver` and `test` parse what they are given with the schemas themselves, so defaults apply
 * and a stored value from an older form is checked, not trusted.
 */
export type TDeliveryKind<
  TSettings extends z.ZodType = z.ZodType,
  TSecrets extends z.ZodType = z.ZodType,
> = {
  kind: string;
  label: string;
  settingsSchema: TSettings;
  secretsSchema: TSecrets;
  deliver(
    settings: z.input<TSettings>,
    secrets: z.input<TSecrets>,
    files: TDeliveryFile[],
    context: TDeliveryContext,
  ): Promise<TDeliveryResult>;
  /** Sends an alert (the kinds that can), and says where it went. */
  alert?(
    settings: z.input<TSettings>,
    secrets: z.input<TSecrets>,
    message: TAlertMessage,
    options?: { signal?: AbortSignal },
  ): Promise<string>;
  /** Tries the settings for real (signs in, writes and removes a test file) and says what happened. */
  test(
    settings: z.input<TSettings>,
    secrets: z.input<TSecrets>,
    options?: { signal?: AbortSignal },
  ): Promise<string>;
};

/** Marks a DeliveryError from any copy of this module (a Next build bundles modules twice). */
const DELIVERY_ERROR = Symbol.for("datahaul.DeliveryError");

/**
 * A delivery that failed, in plain words fit for a run page: never a secret, never a stack.
 * `delivered` lists the files that had already arrived before the failure, so a caller can say
 * "2 of 3 files were delivered" instead of nothing.
 */
export class DeliveryError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [DELIVERY_ERROR]?: unknown })[DELIVERY_ERROR] === true
    );
  }

  readonly [DELIVERY_ERROR] = true;
  readonly delivered: TDeliveredFile[];
  /** the settings or secrets are wrong: trying again unchanged will fail the same way */
  readonly isPermanent: boolean;

  constructor(
    message: string,
    options: { delivered?: TDeliveredFile[]; isPermanent?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DeliveryError";
    this.delivered = options.delivered ?? [];
    this.isPermanent = options.isPermanent ?? false;
  }
}
