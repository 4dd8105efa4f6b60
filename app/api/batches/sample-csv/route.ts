import { SAMPLE_CSV } from "@/server/batches/input";
import { attachmentHeader, withUser } from "@/server/api/http";

export const GET = withUser(
  async () =>
    new Response(SAMPLE_CSV, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": attachmentHeader("datahaul-sample.csv"),
      },
    }),
);
