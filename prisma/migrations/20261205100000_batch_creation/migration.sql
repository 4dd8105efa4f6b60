-- AlterTable
ALTER TABLE "Job" ADD COLUMN "idempotencyKey" TEXT;
ALTER TABLE "Job" ADD COLUMN "requestSha256" TEXT;

-- CreateTable
CREATE TABLE "SkippedRow" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobId" TEXT NOT NULL,
    "line" INTEGER NOT NULL,
    "product" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "verdict" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    CONSTRAINT "SkippedRow_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "SkippedRow_jobId_id_idx" ON "SkippedRow"("jobId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Job_createdById_idempotencyKey_key" ON "Job"("createdById", "idempotencyKey");

