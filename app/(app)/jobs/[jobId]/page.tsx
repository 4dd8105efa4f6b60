import type { Metadata } from "next";
import { getJobKind } from "@/server/services/jobs/job-progress";
import { JobDetail } from "./job-detail";
import { ReportRunDetail } from "./report-run-detail";

export const metadata: Metadata = { title: "Job" };

export default async function JobPage({ params }: { params: Promise<{ jobId: string }> }) {
  const { jobId } = await params;
  return (await getJobKind(jobId)) === "report_run" ? (
    <ReportRunDetail jobId={jobId} />
  ) : (
    <JobDetail jobId={jobId} />
  );
}
