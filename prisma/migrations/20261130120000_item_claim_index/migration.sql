-- Claims ordered pending items by line through a temporary sort of every pending item: 5 ms per
-- claim at 20,000 images, and quadratic in the job's size. This index serves them in order.
DROP INDEX "ImageItem_jobId_state_idx";
CREATE INDEX "ImageItem_jobId_state_line_bytes_idx" ON "ImageItem"("jobId", "state", "line", "bytes");
