-- A failed image keeps the engine's kind of failure and whether fetching it again may help, so
-- "Retry failed" leaves out the 404s and pages that are not images, which fail the same way again.
ALTER TABLE "ImageItem" ADD COLUMN "errorKind" TEXT;
ALTER TABLE "ImageItem" ADD COLUMN "isRetryable" BOOLEAN NOT NULL DEFAULT false;

-- Failures from before this column, judged by what was stored: a status that may pass later, or a
-- message of a failure on the way (a timeout, a lost connection, a cut-off body, a lost file).
UPDATE "ImageItem" SET "isRetryable" = true
WHERE "state" = 'failed' AND (
  "httpStatus" IN (408, 429) OR "httpStatus" BETWEEN 500 AND 599
  OR ("httpStatus" IS NULL AND (
    "error" LIKE '%timed out%' OR "error" LIKE 'connection %' OR "error" LIKE 'network error%'
    OR "error" LIKE 'could not connect: %' OR "error" LIKE '%stored file%'
  ))
);

-- The progress totals count retryable failures from the index alone, as they sum bytes.
DROP INDEX "ImageItem_jobId_state_line_bytes_idx";
CREATE INDEX "ImageItem_jobId_state_line_bytes_idx" ON "ImageItem"("jobId", "state", "line", "bytes", "isRetryable");
