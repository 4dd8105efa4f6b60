-- AlterTable
ALTER TABLE "Job" ADD COLUMN "pausedReason" TEXT;
ALTER TABLE "Job" ADD COLUMN "resumeAt" DATETIME;

-- CreateTable
CREATE TABLE "BlobRef" (
    "sha256" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,

    PRIMARY KEY ("sha256", "jobId"),
    CONSTRAINT "BlobRef_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "BlobRef_jobId_idx" ON "BlobRef"("jobId");

-- CreateIndex
CREATE INDEX "ImageItem_jobId_url_idx" ON "ImageItem"("jobId", "url");


-- Every file stored so far is kept by the jobs whose rows name it: without these references the
-- first sweep would remove them all.
INSERT OR IGNORE INTO "BlobRef" ("sha256", "jobId")
SELECT DISTINCT "sha256", "jobId" FROM "ImageItem" WHERE "sha256" IS NOT NULL
UNION
SELECT DISTINCT "sha256", "jobId" FROM "ReportRunItem" WHERE "sha256" IS NOT NULL;
