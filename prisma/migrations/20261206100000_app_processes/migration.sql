-- CreateTable
CREATE TABLE "AppProcess" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "mode" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL,
    "itemsInFlight" INTEGER NOT NULL DEFAULT 0
);

-- CreateIndex
CREATE INDEX "AppProcess_lastSeenAt_idx" ON "AppProcess"("lastSeenAt");

