import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { isJobKindName, type TJobKindName } from "@/server/jobs/job-kind-names";
import { getJobHeading } from "@/server/services/jobs/job-progress";
import { JobDetail } from "./job-detail";
import { DeliveryDetail } from "./delivery-detail";
import { ExportDetail } from "./export-detail";
import { PipelineDetail } from "./pipeline-detail";
import { PushDetail } from "./push-detail";
import { ReportRunDetail } from "./report-run-detail";

/** The view of each kind of job: a kind without one does not type-check. */
const JOB_VIEWS: Record<TJobKindName, (props: { jobId: string }) => React.ReactNode> = {
  image_batch: JobDetail,
  report_run: ReportRunDetail,
  export: ExportDetail,
  push: PushDetail,
  refresh: PushDetail,
  pipeline: PipelineDetail,
  delivery: DeliveryDetail,
};

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
  if (!heading || !isJobKindName(heading.kind)) notFound();
  const View = JOB_VIEWS[heading.kind];
  return <View jobId={jobId} />;
}
