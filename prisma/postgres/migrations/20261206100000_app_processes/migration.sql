-- CreateTable
CREATE TABLE "AppProcess" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "mode" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "itemsInFlight" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "AppProcess_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AppProcess_lastSeenAt_idx" ON "AppProcess"("lastSeenAt");

