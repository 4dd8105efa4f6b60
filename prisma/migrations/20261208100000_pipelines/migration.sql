-- CreateTable
CREATE TABLE "Pipeline" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "reportId" TEXT,
    "transformId" TEXT,
    "tableId" TEXT,
    "connectorId" TEXT NOT NULL,
    "action" TEXT NOT NULL DEFAULT 'push',
    "mode" TEXT NOT NULL DEFAULT 'replace',
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
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
    CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Schedule_pipelineId_fkey" FOREIGN KEY ("pipelineId") REFERENCES "Pipeline" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Schedule" ("createdAt", "createdById", "cronExpression", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "timeZone", "updatedAt") SELECT "createdAt", "createdById", "cronExpression", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "timeZone", "updatedAt" FROM "Schedule";
DROP TABLE "Schedule";
ALTER TABLE "new_Schedule" RENAME TO "Schedule";
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");
CREATE INDEX "Schedule_isEnabled_nextRunAt_idx" ON "Schedule"("isEnabled", "nextRunAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Pipeline_name_key" ON "Pipeline"("name");

