-- CreateTable
CREATE TABLE "Connector" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "settings" TEXT NOT NULL DEFAULT '{}',
    "sealedSecrets" TEXT,
    "lastCheckedAt" DATETIME,
    "lastCheckOk" BOOLEAN,
    "lastCheckMessage" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Report" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "connectorId" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "format" TEXT NOT NULL DEFAULT 'csv',
    "fileNameTemplate" TEXT NOT NULL DEFAULT '{report}_{date:yyyyMMdd_HHmm}.csv',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Report_connectorId_fkey" FOREIGN KEY ("connectorId") REFERENCES "Connector" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReportRunItem" (
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
    "sha256" TEXT,
    "crc32" INTEGER,
    "fileName" TEXT,
    "isTruncated" BOOLEAN NOT NULL DEFAULT false,
    "note" TEXT,
    "error" TEXT,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "ReportRunItem_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReportRunItem_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "Report" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReportAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "itemId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "outcome" TEXT NOT NULL,
    "httpStatus" INTEGER,
    "error" TEXT,
    CONSTRAINT "ReportAttempt_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "ReportRunItem" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Schedule" (
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
    CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ScheduleReport" (
    "scheduleId" TEXT NOT NULL,
    "reportId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    PRIMARY KEY ("scheduleId", "reportId"),
    CONSTRAINT "ScheduleReport_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ScheduleReport_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "Report" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "totalItems" INTEGER NOT NULL,
    "options" TEXT NOT NULL DEFAULT '{}',
    "createdById" TEXT NOT NULL,
    "scheduleId" TEXT,
    "leaseUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Job_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Job_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Job" ("createdAt", "createdById", "finishedAt", "id", "kind", "startedAt", "status", "title", "totalItems") SELECT "createdAt", "createdById", "finishedAt", "id", "kind", "startedAt", "status", "title", "totalItems" FROM "Job";
DROP TABLE "Job";
ALTER TABLE "new_Job" RENAME TO "Job";
CREATE INDEX "Job_createdAt_idx" ON "Job"("createdAt");
CREATE INDEX "Job_status_idx" ON "Job"("status");
CREATE INDEX "Job_scheduleId_createdAt_idx" ON "Job"("scheduleId", "createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Connector_name_key" ON "Connector"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Report_name_key" ON "Report"("name");

-- CreateIndex
CREATE INDEX "ReportRunItem_jobId_state_idx" ON "ReportRunItem"("jobId", "state");

-- CreateIndex
CREATE INDEX "ReportAttempt_itemId_idx" ON "ReportAttempt"("itemId");

-- CreateIndex
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");

-- CreateIndex
CREATE INDEX "Schedule_isEnabled_nextRunAt_idx" ON "Schedule"("isEnabled", "nextRunAt");

