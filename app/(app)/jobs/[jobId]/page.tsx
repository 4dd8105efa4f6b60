import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getJobHeading } from "@/server/services/jobs/job-progress";
import { JobDetail } from "./job-detail";
import { ReportRunDetail } from "./report-run-detail";

type TProps = { params: Promise<{ jobId: string }> };

// the title and the page read the same row once per request
const headingOf = cache(getJobHeading);

export async function generateMetadata({ params }: TProps): Promise<Metadata> {
  const heading = await headingOf((await params).jobId);
  return { title: heading ? heading.title : "Job not found" };
}

export default async function JobPage({ params }: TProps) {
  const { jobId } = await params;
  const heading = await headingOf(jobId);
  if (!heading) notFound();
  return heading.kind === "report_run" ? (
    <ReportRunDetail jobId={jobId} />
  ) : (
    <JobDetail jobId={jobId} />
  );
}
