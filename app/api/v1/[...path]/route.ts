import { dispatchRest } from "@/server/api/rest/dispatch";

export const dynamic = "force-dynamic";

type TContext = { params: Promise<{ path: string[] }> };

const handle = async (request: Request, context: TContext) =>
  dispatchRest(request, (await context.params).path);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE };
