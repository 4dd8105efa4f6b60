// S3 deliveries against s3rver (a local S3-compatible server from npm, in its own process): files
// streamed under a prefix (one above 5 MB as a multipart upload), the test's marker object put
// and removed, and a wrong bucket, key or file said in plain words with nothing left behind.
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Delivery } from "@/server/deliveries/s3";
import { DeliveryError } from "@/server/deliveries/types";
import { makeDeliveryFiles, noise, sha256Of } from "@/test-support/delivery-files";
import { startLocalS3, type TLocalS3 } from "@/test-support/s3-server";

let s3: TLocalS3;
let reader: S3Client;
const big = noise(6 * 1024 * 1024 + 123, 11);
const made = makeDeliveryFiles([
  { name: "Sales.csv", report: "Sales", content: "region,amount\r\nNorth,12.50\r\n" },
  {
    name: "Orders.parquet",
    report: "Orders",
    content: big,
    contentType: "application/vnd.apache.parquet",
  },
]);
const delivery = createS3Delivery();
const context = { summary: { run: { id: "run-s3" } }, date: new Date("2026-11-23T09:00:00Z") };

const settings = (more: Record<string, unknown> = {}) => ({
  bucket: s3.bucket,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  accessKeyId: s3.credentials.accessKeyId,
  ...more,
});
const secrets = () => ({ secretAccessKey: s3.credentials.secretAccessKey });

async function readObject(key: string): Promise<{ body: Buffer; head: GetObjectCommandOutput }> {
  const head = await reader.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return { body: Buffer.from(await head.Body!.transformToByteArray()), head };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await reader.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

beforeAll(async () => {
  s3 = await startLocalS3("deliveries");
  reader = new S3Client({
    region: "us-east-1",
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
});

afterAll(async () => {
  reader?.destroy();
  await s3?.close();
  made.remove();
});

describe("S3 delivery", () => {
  it("streams each file under the prefix with its type and hash, a large one in parts", async () => {
    const result = await delivery.deliver(
      settings({ prefix: "/exports/daily", fileNameTemplate: "{report}_{date:yyyyMMdd}" }),
      secrets(),
      made.files,
      context,
    );
    expect(await keysUnder("exports/")).toEqual([
      "exports/daily/Orders_20261123.parquet",
      "exports/daily/Sales_20261123.csv",
    ]);
    const sales = await readObject("exports/daily/Sales_20261123.csv");
    expect(sales.body.toString("utf8")).toBe("region,amount\r\nNorth,12.50\r\n");
    expect(sales.head.ContentType).toBe("text/csv; charset=utf-8");
    const orders = await readObject("exports/daily/Orders_20261123.parquet");
    expect(sha256Of(orders.body)).toBe(sha256Of(big));
    expect(orders.head.Metadata?.sha256).toBe(sha256Of(big));
    expect(result.files.map((file) => file.location)).toEqual([
      `s3://deliveries/exports/daily/Sales_20261123.csv`,
      `s3://deliveries/exports/daily/Orders_20261123.parquet`,
    ]);
    expect(result.message).toBe("2 files uploaded to s3://deliveries/exports/daily/");
  });

  it("tests the bucket with a marker object it removes again", async () => {
    expect(await delivery.test(settings({ prefix: "checked/" }), secrets())).toBe(
      "DataHaul can write to s3://deliveries/checked/ (a test object was written and removed)",
    );
    expect(await keysUnder("checked/")).toEqual([]);
  });

  it("says plainly that a bucket does not exist or a key is wrong, without the secret", async () => {
    await expect(delivery.test(settings({ bucket: "no-such-bucket" }), secrets())).rejects.toThrow(
      `the bucket no-such-bucket does not exist at ${s3.endpoint}`,
    );
    await expect(
      delivery.deliver(settings({ bucket: "no-such-bucket" }), secrets(), made.files, context),
    ).rejects.toThrow(`the bucket no-such-bucket does not exist at ${s3.endpoint}`);
    // s3rver knows its access key ids but does not check SigV4 signatures: a wrong key id it refuses
    const wrongKey = (await delivery
      .deliver(
        settings({ prefix: "denied/", accessKeyId: "NOT-A-KEY" }),
        { secretAccessKey: "not-the-secret-key" },
        made.files,
        context,
      )
      .catch((error: unknown) => error)) as DeliveryError;
    expect(wrongKey).toBeInstanceOf(DeliveryError);
    expect(wrongKey.message).toBe(
      `the access key id is not known at ${s3.endpoint} (InvalidAccessKeyId)`,
    );
    expect(wrongKey.isPermanent).toBe(true);
    expect(wrongKey.message).not.toContain("not-the-secret-key");
    await expect(delivery.deliver(settings(), {}, made.files, context)).rejects.toThrow(
      "the secret access key is missing for the access key id given",
    );
    expect(await keysUnder("denied/")).toEqual([]);
  });

  it("puts nothing under the key of a file that is not the one the run produced", async () => {
    const changed = makeDeliveryFiles([
      { name: "Big.bin", content: noise(5 * 1024 * 1024 + 10, 5) },
    ]);
    try {
      const file = { ...changed.files[0]!, sha256: sha256Of("something else") };
      await expect(
        delivery.deliver(settings({ prefix: "changed/" }), secrets(), [file], context),
      ).rejects.toThrow("the file Big.bin is not the one the run produced");
      expect(await keysUnder("changed/")).toEqual([]);
    } finally {
      changed.remove();
    }
  });

  it("refuses a prefix with a .. folder where it is typed", async () => {
    await expect(
      delivery.deliver(settings({ prefix: "a/../b" }), secrets(), made.files, context),
    ).rejects.toThrow(
      "The S3 delivery's settings need a fix: prefix: A prefix may not hold . or .. as a folder",
    );
  });
});
