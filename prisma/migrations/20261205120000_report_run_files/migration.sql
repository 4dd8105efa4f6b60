-- A report run item keeps its files in ReportRunFile: one, or one per query when the system
-- answered several tables. The files of earlier runs move there first.
-- CreateTable
CREATE TABLE "ReportRunFile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "itemId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "fileName" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "rows" INTEGER,
    "crc32" INTEGER NOT NULL,
    CONSTRAINT "ReportRunFile_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "ReportRunItem" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Backfill: every stored file of an earlier run
INSERT INTO "ReportRunFile" ("id", "itemId", "position", "fileName", "sha256", "bytes", "rows", "crc32")
SELECT
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)
        || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
        || '-' || lower(hex(randomblob(6))),
    "id", 0, "fileName", "sha256", coalesce("bytes", 0), "rows", coalesce("crc32", 0)
FROM "ReportRunItem"
WHERE "sha256" IS NOT NULL AND "fileName" IS NOT NULL;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ReportRunItem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "reportId" TEXT,
    "reportName" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME,
    "leaseUntil" DATETIME,
    "rows" INTEGER,
    "bytes" INTEGER,
    "isTruncated" BOOLEAN NOT NULL DEFAULT false,
    "note" TEXT,
    "error" TEXT,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "ReportRunItem_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReportRunItem_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "Report" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_ReportRunItem" ("attempts", "bytes", "error", "finishedAt", "id", "isTruncated", "jobId", "leaseUntil", "nextAttemptAt", "note", "position", "reportId", "reportName", "rows", "startedAt", "state") SELECT "attempts", "bytes", "error", "finishedAt", "id", "isTruncated", "jobId", "leaseUntil", "nextAttemptAt", "note", "position", "reportId", "reportName", "rows", "startedAt", "state" FROM "ReportRunItem";
DROP TABLE "ReportRunItem";
ALTER TABLE "new_ReportRunItem" RENAME TO "ReportRunItem";
CREATE INDEX "ReportRunItem_jobId_state_idx" ON "ReportRunItem"("jobId", "state");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "ReportRunFile_itemId_position_key" ON "ReportRunFile"("itemId", "position");
