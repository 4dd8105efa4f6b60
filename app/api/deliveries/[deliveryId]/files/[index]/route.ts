import { fileResponse, textResponse } from "@/server/api/http";
import { AppError, HTTP_STATUS_BY_CODE } from "@/server/errors";
import { logger } from "@/server/logger";
import { checkFileLink, openLinkedFile } from "@/server/services/deliveries/file-links";

export const dynamic = "force-dynamic";

type TParams = { deliveryId: string; index: string };

/** A delivered file, for whoever holds its signed link (an e-mail's reader, a webhook's receiver). */
export async function GET(request: Request, context: { params: Promise<TParams> }) {
  const { deliveryId, index } = await context.params;
  const position = Number(index);
  const check = checkFileLink(deliveryId, position, new URL(request.url).searchParams);
  if (!check.isValid) return textResponse(check.status, check.message);
  try {
    return fileResponse(await openLinkedFile(deliveryId, position));
  } catch (error) {
    if (error instanceof AppError)
      return textResponse(HTTP_STATUS_BY_CODE[error.code], error.message);
    logger.error({ deliveryId, err: error }, "a delivered file could not be served");
    return textResponse(500, "Something went wrong on the server. The details are in its log.");
  }
}
