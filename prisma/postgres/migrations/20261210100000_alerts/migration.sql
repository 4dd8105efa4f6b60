-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "alertsCheckedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "alertRules" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
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
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "result" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Alert_state_nextAttemptAt_idx" ON "Alert"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Alert_createdAt_idx" ON "Alert"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_jobId_connectorId_event_key" ON "Alert"("jobId", "connectorId", "event");

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

