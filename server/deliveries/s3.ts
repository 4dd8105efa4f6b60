import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  DeleteObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { z } from "@/server/forms/zod";
import { ZS3Secrets, ZS3Settings } from "./schemas";
import { deliveryFileNames } from "./file-name-template";
import {
  checkedCopyOf,
  countFiles,
  deliverEach,
  firstLine,
  parseDeliveryInput,
  throwIfCancelled,
} from "./shared";
import {
  DeliveryError,
  type TDeliveredFile,
  type TDeliveryFile,
  type TDeliveryKind,
} from "./types";

/** lib-storage's multipart pieces: S3's smallest part, so a large file holds little memory. */
const PART_BYTES = 5 << 20;
const PARTS_AT_ONCE = 4;

type TS3Settings = z.output<typeof ZS3Settings>;

/** `reports/daily` and `/reports/daily/` both mean the folder `reports/daily/`. */
function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

function createClient(settings: TS3Settings, secretAccessKey: string | undefined): S3Client {
  if (settings.accessKeyId !== "" && !secretAccessKey) {
    throw new DeliveryError("the secret access key is missing for the access key id given", {
      isPermanent: true,
    });
  }
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint || undefined,
    forcePathStyle: settings.forcePathStyle,
    credentials:
      settings.accessKeyId !== ""
        ? { accessKeyId: settings.accessKeyId, secretAccessKey: secretAccessKey! }
        : undefined,
    // S3-compatible servers often do not know the SDK's default checksum trailers (aws-chunked
    // bodies with a CRC32 trailer): send and check checksums only where the API requires them
    ...(settings.endpoint
      ? {
          requestChecksumCalculation: "WHEN_REQUIRED" as const,
          responseChecksumValidation: "WHEN_REQUIRED" as const,
        }
      : {}),
  });
}

/**
 * S3's answer in words a run page can show. HEAD answers carry no body, so a HeadBucket failure
 * has only its status to go on.
 */
function describeS3Error(error: unknown, settings: TS3Settings): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const bucket = settings.bucket;
  const server = settings.endpoint ? ` at ${settings.endpoint}` : "";
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    const name = error.name;
    const permanent = (message: string) =>
      new DeliveryError(message, { isPermanent: true, cause: error });
    if (name === "NoSuchBucket" || (name === "NotFound" && status === 404)) {
      return permanent(`the bucket ${bucket} does not exist${server}`);
    }
    if (name === "InvalidAccessKeyId") {
      return permanent(`the access key id is not known${server} (InvalidAccessKeyId)`);
    }
    if (name === "SignatureDoesNotMatch") {
      return permanent(
        `the secret access key does not match the access key id (SignatureDoesNotMatch)`,
      );
    }
    if (name === "AccessDenied" || name === "Forbidden" || status === 403) {
      return permanent(
        `access to the bucket ${bucket} was refused (${name}): the key may not write there`,
      );
    }
    if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || status === 301) {
      return permanent(
        `the bucket ${bucket} is in another region than ${settings.region} (${name})`,
      );
    }
    return new DeliveryError(`S3${server} answered ${name}${status ? ` (HTTP ${status})` : ""}`, {
      cause: error,
    });
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = settings.endpoint || `S3 in ${settings.region}`;
  if (code === "ECONNREFUSED")
    return new DeliveryError(`${where} refused the connection`, { cause: error });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new DeliveryError(`the host of ${where} was not found`, { cause: error });
  }
  if (error instanceof Error && error.name === "CredentialsProviderError") {
    return new DeliveryError(
      "no access key was given and this server has no AWS credentials of its own",
      { isPermanent: true, cause: error },
    );
  }
  return new DeliveryError(`the upload to ${where} failed: ${firstLine(error)}`, { cause: error });
}

/**
 * One file into the bucket from its local copy, streamed (a multipart upload above 5 MB). An S3
 * object appears only when its upload completes, so there is no temp name to rename: a failed or
 * cancelled upload leaves nothing under the key, and lib-storage aborts the multipart upload so
 * no parts are left to pay for.
 */
async function uploadOne(
  client: S3Client,
  settings: TS3Settings,
  file: TDeliveryFile,
  key: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const source = createReadStream(file.path);
  const body = source.pipe(checkedCopyOf(file));
  // the read side's failures (a missing file) must reach the upload, which only reads `body`
  source.once("error", (error) => body.destroy(error));
  const upload = new Upload({
    client,
    params: {
      Bucket: settings.bucket,
      Key: key,
      Body: body,
      ContentType: file.contentType,
      // what the run recorded, for whoever checks the object later; an ETag is no hash of a multipart upload
      Metadata: { sha256: file.sha256 },
    },
    partSize: PART_BYTES,
    queueSize: PARTS_AT_ONCE,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await upload.done();
  } catch (error) {
    if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
    // the local side failed first; what S3 said after it (an aborted upload's answer) is no reason
    if (body.errored instanceof DeliveryError) throw body.errored;
    if ((source.errored as NodeJS.ErrnoException | null)?.code === "ENOENT") {
      throw new DeliveryError(`the file ${file.name} to deliver is missing on our side`);
    }
    throw describeS3Error(error, settings);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    source.destroy();
  }
}

export function createS3Delivery(): TDeliveryKind<typeof ZS3Settings, typeof ZS3Secrets> {
  const parse = (rawSettings: unknown, rawSecrets: unknown) => ({
    settings: parseDeliveryInput(ZS3Settings, rawSettings, "S3 delivery's settings"),
    secrets: parseDeliveryInput(ZS3Secrets, rawSecrets, "S3 delivery's secrets"),
  });

  return {
    kind: "s3",
    label: "S3 bucket",
    settingsSchema: ZS3Settings,
    secretsSchema: ZS3Secrets,

    async deliver(rawSettings, rawSecrets, files, context) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      throwIfCancelled(context.signal);
      const prefix = normalisePrefix(settings.prefix);
      const names = deliveryFileNames(files, settings.fileNameTemplate, context);
      const client = createClient(settings, secrets.secretAccessKey);
      try {
        const delivered = await deliverEach(
          files,
          async (file, index): Promise<TDeliveredFile> => {
            const key = `${prefix}${names[index]!}`;
            await uploadOne(client, settings, file, key, context.signal);
            return {
              name: file.name,
              deliveredAs: names[index]!,
              bytes: file.bytes,
              location: `s3://${settings.bucket}/${key}`,
            };
          },
          context.signal,
        );
        return {
          message: `${countFiles(delivered.length)} uploaded to s3://${settings.bucket}/${prefix}`,
          files: delivered,
        };
      } finally {
        client.destroy();
      }
    },

    /**
     * HeadBucket proves the bucket and the key exist, not that the key may write: a tiny marker
     * object is put and deleted too, so "works" means a delivery will.
     */
    async test(rawSettings, rawSecrets, options = {}) {
      const { settings, secrets } = parse(rawSettings, rawSecrets);
      const prefix = normalisePrefix(settings.prefix);
      const client = createClient(settings, secrets.secretAccessKey);
      const marker = `${prefix}.datahaul-test-${randomUUID()}`;
      const abortSignal = options.signal;
      try {
        await client.send(new HeadBucketCommand({ Bucket: settings.bucket }), { abortSignal });
        await client.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: marker,
            Body: "DataHaul test object: safe to remove\n",
            ContentType: "text/plain",
          }),
          { abortSignal },
        );
        await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: marker }), {
          abortSignal,
        });
        return `DataHaul can write to s3://${settings.bucket}/${prefix} (a test object was written and removed)`;
      } catch (error) {
        if (abortSignal?.aborted) throw new DeliveryError("the test was cancelled");
        throw describeS3Error(error, settings);
      } finally {
        client.destroy();
      }
    },
  };
}
