-- The Jobs list sorts titles regardless of case ("apple" before "Zebra") through a stored,
-- lower-cased key and its own (titleSortKey, id) index, so title pages stay keyset pages read in
-- index order. SQLite adds a NOT NULL column without a default only by rebuilding the table;
-- the rebuild fills the key of every existing job. lower() folds ASCII letters only: the app
-- writes the key of new jobs with JavaScript's Unicode toLowerCase().
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "titleSortKey" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "totalItems" INTEGER NOT NULL,
    "options" TEXT NOT NULL DEFAULT '{}',
    "createdById" TEXT NOT NULL,
    "scheduleId" TEXT,
    "leaseUntil" DATETIME,
    "idempotencyKey" TEXT,
    "requestSha256" TEXT,
    "pausedReason" TEXT,
    "resumeAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Job_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Job_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Job" ("id", "kind", "title", "status", "totalItems", "options", "createdById", "scheduleId", "leaseUntil", "idempotencyKey", "requestSha256", "pausedReason", "resumeAt", "createdAt", "startedAt", "finishedAt", "titleSortKey")
SELECT "id", "kind", "title", "status", "totalItems", "options", "createdById", "scheduleId", "leaseUntil", "idempotencyKey", "requestSha256", "pausedReason", "resumeAt", "createdAt", "startedAt", "finishedAt", lower("title") FROM "Job";
DROP TABLE "Job";
ALTER TABLE "new_Job" RENAME TO "Job";
CREATE INDEX "Job_createdAt_id_idx" ON "Job"("createdAt", "id");
CREATE INDEX "Job_status_createdAt_id_idx" ON "Job"("status", "createdAt", "id");
CREATE INDEX "Job_kind_createdAt_id_idx" ON "Job"("kind", "createdAt", "id");
CREATE INDEX "Job_titleSortKey_id_idx" ON "Job"("titleSortKey", "id");
CREATE INDEX "Job_scheduleId_createdAt_idx" ON "Job"("scheduleId", "createdAt");
CREATE UNIQUE INDEX "Job_createdById_idempotencyKey_key" ON "Job"("createdById", "idempotencyKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
