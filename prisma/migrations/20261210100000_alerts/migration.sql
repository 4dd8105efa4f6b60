-- AlterTable
ALTER TABLE "Job" ADD COLUMN "alertsCheckedAt" DATETIME;

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "scheduleId" TEXT,
    "jobId" TEXT,
    "connectorId" TEXT,
    "connectorName" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "url" TEXT,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" DATETIME,
    "result" TEXT,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Alert_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
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
    "updatedById" TEXT,
    "alertRules" TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Schedule_pipelineId_fkey" FOREIGN KEY ("pipelineId") REFERENCES "Pipeline" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Schedule_updatedById_fkey" FOREIGN KEY ("updatedById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Schedule" ("createdAt", "createdById", "cronExpression", "deliverTo", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt", "updatedById") SELECT "createdAt", "createdById", "cronExpression", "deliverTo", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt", "updatedById" FROM "Schedule";
DROP TABLE "Schedule";
ALTER TABLE "new_Schedule" RENAME TO "Schedule";
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");
CREATE INDEX "Schedule_isEnabled_nextRunAt_idx" ON "Schedule"("isEnabled", "nextRunAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Alert_state_nextAttemptAt_idx" ON "Alert"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Alert_createdAt_idx" ON "Alert"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_jobId_connectorId_event_key" ON "Alert"("jobId", "connectorId", "event");

