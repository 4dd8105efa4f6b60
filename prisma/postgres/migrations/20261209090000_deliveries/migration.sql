-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "deliverTo" TEXT NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "sourceJobId" TEXT NOT NULL,
    "sourceFinishedAt" TIMESTAMP(3) NOT NULL,
    "position" INTEGER NOT NULL,
    "connectorId" TEXT,
    "connectorName" TEXT NOT NULL,
    "connectorKind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT,
    "error" TEXT,
    "files" TEXT NOT NULL DEFAULT '[]',
    "leaseUntil" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Delivery_jobId_position_idx" ON "Delivery"("jobId", "position");

-- CreateIndex
CREATE INDEX "Delivery_state_leaseUntil_idx" ON "Delivery"("state", "leaseUntil");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_sourceJobId_sourceFinishedAt_connectorId_key" ON "Delivery"("sourceJobId", "sourceFinishedAt", "connectorId");

-- AddForeignKey
ALTER TABLE "Delivery" ADD CONSTRAINT "Delivery_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

