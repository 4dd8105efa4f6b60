-- Every HTTP request of a report attempt, and the wait after a failed attempt.
-- AlterTable
ALTER TABLE "ReportAttempt" ADD COLUMN "waitMs" INTEGER;
ALTER TABLE "ReportAttempt" ADD COLUMN "isRetryAfter" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ReportRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "attemptId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "httpStatus" INTEGER,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    CONSTRAINT "ReportRequest_attemptId_fkey" FOREIGN KEY ("attemptId") REFERENCES "ReportAttempt" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ReportRequest_attemptId_position_idx" ON "ReportRequest"("attemptId", "position");
