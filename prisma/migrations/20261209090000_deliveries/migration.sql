-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "sourceJobId" TEXT NOT NULL,
    "sourceFinishedAt" DATETIME NOT NULL,
    "position" INTEGER NOT NULL,
    "connectorId" TEXT,
    "connectorName" TEXT NOT NULL,
    "connectorKind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT,
    "error" TEXT,
    "files" TEXT NOT NULL DEFAULT '[]',
    "leaseUntil" DATETIME,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Delivery_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Schedule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "intervalMinutes" INTEGER,
    "firstJitterMinMinutes" INTEGER NOT NULL DEFAULT 1,
    "firstJitterMaxMinutes" INTEGER NOT NULL DEFAULT 5,
    "laterJitterMinMinutes" INTEGER NOT NULL DEFAULT 1,
    "laterJitterMaxMinutes" INTEGER NOT NULL DEFAULT 20,
    "cronExpression" TEXT,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "overlapPolicy" TEXT NOT NULL DEFAULT 'skip',
    "misfirePolicy" TEXT NOT NULL DEFAULT 'run_once',
    "maxConcurrency" INTEGER NOT NULL DEFAULT 4,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "isEnabled" BOOLEAN NOT NULL DEFAULT true,
    "nextRunAt" DATETIME,
    "lastFiredAt" DATETIME,
    "lastOutcome" TEXT,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "pipelineId" TEXT,
    "deliverTo" TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Schedule_pipelineId_fkey" FOREIGN KEY ("pipelineId") REFERENCES "Pipeline" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Schedule" ("createdAt", "createdById", "cronExpression", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt") SELECT "createdAt", "createdById", "cronExpression", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt" FROM "Schedule";
DROP TABLE "Schedule";
ALTER TABLE "new_Schedule" RENAME TO "Schedule";
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");
CREATE INDEX "Schedule_isEnabled_nextRunAt_idx" ON "Schedule"("isEnabled", "nextRunAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Delivery_jobId_position_idx" ON "Delivery"("jobId", "position");

-- CreateIndex
CREATE INDEX "Delivery_state_leaseUntil_idx" ON "Delivery"("state", "leaseUntil");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_sourceJobId_sourceFinishedAt_connectorId_key" ON "Delivery"("sourceJobId", "sourceFinishedAt", "connectorId");

