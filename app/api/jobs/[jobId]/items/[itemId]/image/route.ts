import { Readable } from "node:stream";
import { withUser } from "@/server/api/http";
import { openItemImage } from "@/server/services/jobs/build-job-archive";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; itemId: string }>(async ({ params }) => {
  const image = await openItemImage(params);
  return new Response(Readable.toWeb(image.stream as Readable) as ReadableStream, {
    headers: {
      "content-type": image.contentType,
      ...(image.size !== undefined ? { "x-content-length": String(image.size) } : {}),
      // content-addressed: the bytes behind this URL never change
      "cache-control": "private, max-age=86400, immutable",
      etag: `"${image.sha256}"`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'",
    },
  });
});
