import { withUser } from "@/server/api/http";
import { receiveTableUpload } from "@/server/services/tables/receive-upload";

export const dynamic = "force-dynamic";

/** Upload a file as a table: the raw file is the body; name and read options are query parameters. */
export const POST = withUser(async ({ request, user }) => {
  const length = request.headers.get("content-length");
  const table = await receiveTableUpload({
    body: request.body,
    contentLength: length ? Number(length) : null,
    query: new URL(request.url).searchParams,
    createdById: user.id,
    signal: request.signal,
  });
  return Response.json(table, { status: 201 });
});
