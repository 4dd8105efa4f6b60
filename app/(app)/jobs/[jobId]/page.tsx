import type { Metadata } from "next";
import Link from "next/link";
import { getJobHeading } from "@/server/services/jobs/job-progress";
import { Alert } from "../../../_components/ui";
import { JobDetail } from "./job-detail";
import { ReportRunDetail } from "./report-run-detail";

type TProps = { params: Promise<{ jobId: string }> };

export async function generateMetadata({ params }: TProps): Promise<Metadata> {
  const heading = await getJobHeading((await params).jobId);
  return { title: heading ? heading.title : "Job not found" };
}

export default async function JobPage({ params }: TProps) {
  const { jobId } = await params;
  const heading = await getJobHeading(jobId);
  if (!heading)
    return (
      <Alert tone="info">
        This job does not exist (it may have been deleted).{" "}
        <Link href="/jobs" className="font-medium underline">
          See all jobs
        </Link>
      </Alert>
    );
  return heading.kind === "report_run" ? (
    <ReportRunDetail jobId={jobId} />
  ) : (
    <JobDetail jobId={jobId} />
  );
}
