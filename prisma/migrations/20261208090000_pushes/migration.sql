-- CreateTable
CREATE TABLE "Push" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "connectorId" TEXT,
    "connectorName" TEXT NOT NULL,
    "connectorKind" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "mode" TEXT,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "dataSha256" TEXT,
    "columns" TEXT NOT NULL DEFAULT '[]',
    "rowsTotal" INTEGER NOT NULL DEFAULT 0,
    "plan" TEXT,
    "batchEnds" TEXT NOT NULL DEFAULT '[]',
    "batchesConfirmed" INTEGER NOT NULL DEFAULT 0,
    "batchInFlight" INTEGER,
    "isCleared" BOOLEAN NOT NULL DEFAULT false,
    "rowsSent" INTEGER NOT NULL DEFAULT 0,
    "bytesSent" INTEGER NOT NULL DEFAULT 0,
    "notes" TEXT NOT NULL DEFAULT '[]',
    "message" TEXT,
    "error" TEXT,
    "leaseUntil" DATETIME,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Push_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Push_jobId_key" ON "Push"("jobId");

-- CreateIndex
CREATE INDEX "Push_state_leaseUntil_idx" ON "Push"("state", "leaseUntil");

-- CreateIndex
CREATE INDEX "Push_connectorId_idx" ON "Push"("connectorId");

