"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { isJobKindName, JOB_KIND_LABELS } from "@/server/jobs/job-kind-names";
import { useTRPC } from "../../_components/trpc";
import {
  Alert,
  Button,
  Card,
  formatBytes,
  Loading,
  LoadProblem,
  StatusBadge,
} from "../../_components/ui";

/** The jobs that keep the most stored bytes, and a delete for the finished ones. */
export function JobStorage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const storage = useQuery(trpc.system.jobStorage.queryOptions());
  const remove = useMutation(
    trpc.system.deleteFinishedJob.mutationOptions({
      onSettled: () =>
        queryClient.invalidateQueries({ queryKey: trpc.system.jobStorage.queryKey() }),
    }),
  );
  const data = storage.data;
  return (
    <Card padding="none" className="relative mt-5 overflow-x-auto">
      <div className="flex flex-wrap items-start justify-between gap-3 px-4 pt-4 sm:px-5">
        <div>
          <h2 className="font-semibold">Storage per job</h2>
          <p className="mt-1 text-sm text-slate-600">
            Files are stored once per content: a file several jobs keep counts in full for each of
            them, and its bytes are also shown as shared. Deleting a job frees only the files no
            other job or table keeps, in the hourly sweep, once they are an hour old.
          </p>
        </div>
        <Button onClick={() => storage.refetch()} disabled={storage.isFetching}>
          {storage.isFetching ? "Counting…" : "Count again"}
        </Button>
      </div>
      <div className="px-4 sm:px-5">
        {storage.isPending && <Loading>Counting the stored files…</Loading>}
        {storage.error && <LoadProblem>{storage.error.message}</LoadProblem>}
        {remove.error && (
          <div className="mt-3">
            <Alert>{remove.error.message}</Alert>
          </div>
        )}
        {data && (
          <p className="mt-3 text-sm" data-testid="storage-totals">
            {data.jobCount} job{data.jobCount === 1 ? "" : "s"} keep{" "}
            <strong>{formatBytes(data.bytesCountedPerJob)}</strong> counted per job; the store holds{" "}
            <strong>{formatBytes(data.distinctBytes)}</strong> for them in {data.distinctFiles}{" "}
            distinct file{data.distinctFiles === 1 ? "" : "s"}
            {data.unsizedFiles > 0 && ` (${data.unsizedFiles} of unknown size, counted as 0)`}.
            {data.jobCount > data.jobs.length && ` The ${data.jobs.length} largest are listed.`}
          </p>
        )}
      </div>
      {data && data.jobs.length === 0 && (
        <p className="px-4 pb-4 text-sm text-slate-600 sm:px-5">No job keeps stored files.</p>
      )}
      {data && data.jobs.length > 0 && (
        <table className="mt-3 w-full min-w-[40rem] text-left text-sm" data-testid="job-storage">
          <thead className="bg-slate-50 text-xs text-slate-600">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium sm:px-5">
                Job
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Files
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Stored
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Shared with others
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {data.jobs.map((job) => (
              <tr key={job.jobId}>
                <td className="px-4 py-2 sm:px-5">
                  <Link
                    href={`/jobs/${job.jobId}`}
                    className="font-medium text-brand-700 [overflow-wrap:anywhere] hover:underline"
                  >
                    {job.title}
                  </Link>
                  <span className="block text-xs text-slate-500">
                    {isJobKindName(job.kind) ? JOB_KIND_LABELS[job.kind] : job.kind},{" "}
                    {new Date(job.finishedAt ?? job.createdAt).toLocaleString()}
                  </span>
                </td>
                <td className="px-3 py-2">
                  <StatusBadge status={job.status} />
                </td>
                <td className="px-3 py-2 text-right tabular-nums">
                  {job.files}
                  {job.unsizedFiles > 0 && (
                    <span className="block text-xs text-slate-500">
                      {job.unsizedFiles} of unknown size
                    </span>
                  )}
                </td>
                <td className="px-3 py-2 text-right tabular-nums">{formatBytes(job.bytes)}</td>
                <td className="px-3 py-2 text-right tabular-nums">
                  {job.sharedBytes > 0 ? formatBytes(job.sharedBytes) : "—"}
                </td>
                <td className="px-3 py-2 text-right">
                  {job.isDeletable ? (
                    <Button
                      variant="danger"
                      disabled={remove.isPending && remove.variables?.jobId === job.jobId}
                      aria-label={`Delete ${job.title}`}
                      onClick={() => {
                        if (
                          window.confirm(
                            `Delete the job "${job.title}" and its files? Files another job also keeps are kept.`,
                          )
                        )
                          remove.mutate({ jobId: job.jobId });
                      }}
                    >
                      Delete
                    </Button>
                  ) : (
                    <span className="text-xs text-slate-500">not finished</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
