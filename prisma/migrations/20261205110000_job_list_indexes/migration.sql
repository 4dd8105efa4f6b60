-- The Jobs list pages by keyset on (createdAt, id) or (title, id), filtered by status or kind.
-- These indexes serve each page in list order, so no page sorts or skips over the whole table.
DROP INDEX "Job_createdAt_idx";
DROP INDEX "Job_status_idx";
CREATE INDEX "Job_createdAt_id_idx" ON "Job"("createdAt", "id");
CREATE INDEX "Job_status_createdAt_id_idx" ON "Job"("status", "createdAt", "id");
CREATE INDEX "Job_kind_createdAt_id_idx" ON "Job"("kind", "createdAt", "id");
CREATE INDEX "Job_title_id_idx" ON "Job"("title", "id");
