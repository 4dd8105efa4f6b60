-- CreateTable
CREATE TABLE "PasswordLink" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PasswordLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_user" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "emailVerified" BOOLEAN NOT NULL DEFAULT false,
    "image" TEXT,
    "role" TEXT NOT NULL DEFAULT 'viewer',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "disabledAt" DATETIME
);
INSERT INTO "new_user" ("createdAt", "email", "emailVerified", "id", "image", "name", "role", "updatedAt") SELECT "createdAt", "email", "emailVerified", "id", "image", "name", "role", "updatedAt" FROM "user";
DROP TABLE "user";
ALTER TABLE "new_user" RENAME TO "user";
CREATE UNIQUE INDEX "user_email_key" ON "user"("email");
CREATE TABLE "new_Connector" (
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
    "updatedAt" DATETIME NOT NULL,
    "createdById" TEXT,
    "updatedById" TEXT,
    CONSTRAINT "Connector_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Connector_updatedById_fkey" FOREIGN KEY ("updatedById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Connector" ("baseUrl", "createdAt", "id", "kind", "lastCheckMessage", "lastCheckOk", "lastCheckedAt", "name", "sealedSecrets", "settings", "updatedAt") SELECT "baseUrl", "createdAt", "id", "kind", "lastCheckMessage", "lastCheckOk", "lastCheckedAt", "name", "sealedSecrets", "settings", "updatedAt" FROM "Connector";
DROP TABLE "Connector";
ALTER TABLE "new_Connector" RENAME TO "Connector";
CREATE UNIQUE INDEX "Connector_name_key" ON "Connector"("name");
CREATE TABLE "new_Report" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "connectorId" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "format" TEXT NOT NULL DEFAULT 'csv',
    "fileNameTemplate" TEXT NOT NULL DEFAULT '{report}_{date:yyyyMMdd_HHmm}.csv',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "createdById" TEXT,
    "updatedById" TEXT,
    CONSTRAINT "Report_connectorId_fkey" FOREIGN KEY ("connectorId") REFERENCES "Connector" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Report_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Report_updatedById_fkey" FOREIGN KEY ("updatedById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Report" ("connectorId", "createdAt", "fileNameTemplate", "format", "id", "name", "query", "updatedAt") SELECT "connectorId", "createdAt", "fileNameTemplate", "format", "id", "name", "query", "updatedAt" FROM "Report";
DROP TABLE "Report";
ALTER TABLE "new_Report" RENAME TO "Report";
CREATE UNIQUE INDEX "Report_name_key" ON "Report"("name");
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
    CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Schedule_pipelineId_fkey" FOREIGN KEY ("pipelineId") REFERENCES "Pipeline" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Schedule_updatedById_fkey" FOREIGN KEY ("updatedById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Schedule" ("createdAt", "createdById", "cronExpression", "deliverTo", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt") SELECT "createdAt", "createdById", "cronExpression", "deliverTo", "firstJitterMaxMinutes", "firstJitterMinMinutes", "id", "intervalMinutes", "isEnabled", "kind", "lastFiredAt", "lastOutcome", "laterJitterMaxMinutes", "laterJitterMinMinutes", "maxAttempts", "maxConcurrency", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pipelineId", "timeZone", "updatedAt" FROM "Schedule";
DROP TABLE "Schedule";
ALTER TABLE "new_Schedule" RENAME TO "Schedule";
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");
CREATE INDEX "Schedule_isEnabled_nextRunAt_idx" ON "Schedule"("isEnabled", "nextRunAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "PasswordLink_tokenHash_key" ON "PasswordLink"("tokenHash");

-- CreateIndex
CREATE INDEX "PasswordLink_userId_idx" ON "PasswordLink"("userId");


-- "member" was the only other role before roles existed: it becomes the least one
UPDATE "user" SET "role" = 'viewer' WHERE "role" NOT IN ('viewer', 'operator', 'admin');
