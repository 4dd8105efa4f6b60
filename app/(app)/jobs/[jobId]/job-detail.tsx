"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { useFeedback } from "../../../_components/feedback";
import { Term } from "../../../_components/term";
import { DEFAULT_FILE_NAME_TEMPLATE } from "@/server/archive/file-name-template";
import type { TStoredImageOptions } from "@/server/batches/image-batch-options";
import { useTRPC } from "../../../_components/trpc";
import {
  Alert,
  Button,
  ButtonLink,
  Card,
  PageTitle,
  StatusBadge,
  formatBytes,
} from "../../../_components/ui";
import { countDone, describeOutcome, describeTimeLeft, imageOutcomeBar } from "./item-counts";
import { InFlight } from "./in-flight";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { OutcomeBar } from "./outcome-bar";
import { PausedNotice } from "./paused-notice";
import { ProductCard } from "./product-card";
import { SkippedRows } from "./skipped-rows";
import { useJobEvents } from "./use-job-events";
import { useCan } from "../../../_components/role";

const PRODUCTS_PER_PAGE = 24;
const FAILED_REFRESH_MS = 3000;

export function JobDetail({ jobId }: { jobId: string }) {
  const { confirm } = useFeedback();
  const trpc = useTRPC();
  const canRun = useCan("run");
  const router = useRouter();
  const queryClient = useQueryClient();
  const { state, isConnected, isDeleted, error, follow } = useJobEvents(jobId);
  const [requestedPage, setPage] = useState(0);
  const [productFilter, setProductFilter] = useState("");
  const [onlyProblems, setOnlyProblems] = useState(false);
  const onSettled = () =>
    queryClient.invalidateQueries({ queryKey: trpc.jobs.failedItems.queryKey({ jobId }) });
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions({ onSettled }));
  // the stream ended with the job; the retried job runs again and is followed again
  const retry = useMutation(
    trpc.jobs.retryFailed.mutationOptions({ onSettled, onSuccess: () => follow() }),
  );
  const remove = useMutation(
    trpc.jobs.delete.mutationOptions({ onSuccess: () => router.push("/jobs") }),
  );
  const runAgain = useMutation(
    trpc.batches.runAgain.mutationOptions({
      onSuccess: ({ jobId: newJobId }) => router.push(`/jobs/${newJobId}`),
    }),
  );
  const failedCount = state?.totals.failed ?? 0;
  const failed = useQuery({
    ...trpc.jobs.failedItems.queryOptions({ jobId }),
    enabled: failedCount > 0,
  });
  const { refetch: refetchFailed } = failed;
  // the list follows the live count (it was loaded once and went stale while the job ran), at
  // most every few seconds: a job failing fast changes the count four times a second
  const lastFailedFetch = useRef(0);
  useEffect(() => {
    if (failedCount === 0) return;
    const wait = Math.max(0, lastFailedFetch.current + FAILED_REFRESH_MS - Date.now());
    const timer = setTimeout(() => {
      lastFailedFetch.current = Date.now();
      void refetchFailed();
    }, wait);
    return () => clearTimeout(timer);
  }, [failedCount, refetchFailed]);

  const products = useMemo(() => {
    const all = [...(state?.products.values() ?? [])].sort((a, b) => a.position - b.position);
    const needle = productFilter.trim().toLowerCase();
    return all.filter(
      (p) =>
        (!needle || p.number.toLowerCase().includes(needle)) &&
        (!onlyProblems || p.failed > 0 || p.cancelled > 0),
    );
  }, [state, productFilter, onlyProblems]);
  const pageCount = Math.max(1, Math.ceil(products.length / PRODUCTS_PER_PAGE));
  // the list can shrink under the page (a retry empties "only products with failures")
  const page = Math.min(requestedPage, pageCount - 1);
  const visible = products.slice(page * PRODUCTS_PER_PAGE, (page + 1) * PRODUCTS_PER_PAGE);

  if (isDeleted) return <Alert tone="info">This job was deleted.</Alert>;
  if (!state)
    return error ? <Alert>{error}</Alert> : <p className="text-sm text-slate-500">Loading job…</p>;

  const { job, totals } = state;
  const done = countDone(totals);
  // a 404 or a page that is not an image gives the same answer again: retried only when asked to
  const retryableCount = totals.retryableFailed + totals.cancelled;
  const permanentFailures = totals.failed - totals.retryableFailed;
  const isFinal = isJobFinal(job.status);
  const isPaused = state.pause !== null;
  // a ZIP of nothing but a manifest is not what a user came for: no download, no main button
  const hasFiles = totals.downloaded > 0;
  const actionError = cancel.error ?? retry.error ?? remove.error ?? runAgain.error;
  const imageOptionsText = describeImageOptions(state.imageOptions);

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`Started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}`}
        actions={
          <>
            {hasFiles && (
              <ButtonLink href={`/api/jobs/${jobId}/archive`} variant="primary" download>
                Download master ZIP
              </ButtonLink>
            )}
            <ButtonLink href={`/api/jobs/${jobId}/manifest?format=csv`} download>
              Manifest CSV
            </ButtonLink>
            <ButtonLink href={`/api/jobs/${jobId}/manifest?format=json`} download>
              Manifest JSON
            </ButtonLink>
          </>
        }
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <span className="text-sm tabular-nums text-slate-600" data-testid="overall-count">
            {done.toLocaleString()} of {totals.total.toLocaleString()} done (
            {totals.total ? Math.floor((done / totals.total) * 100) : 0} %)
          </span>
          <span className="text-sm tabular-nums text-slate-600" data-testid="outcome-summary">
            {describeOutcome(totals)}
          </span>
          {!isFinal && state.activity.secondsLeft !== null && (
            <span className="text-sm text-slate-600" data-testid="time-left">
              · {describeTimeLeft(state.activity.secondsLeft)}
            </span>
          )}
          {state.skippedEntries > 0 && (
            <span className="text-sm text-amber-700" data-testid="skipped-entries">
              {state.skippedEntries.toLocaleString()}{" "}
              {state.skippedEntries === 1 ? "entry was" : "entries were"} skipped at Analyze (errors
              or duplicates)
            </span>
          )}
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        {imageOptionsText && (
          <p className="mt-2 text-xs text-slate-600" data-testid="image-options">
            {imageOptionsText}
          </p>
        )}
        {state.pause && <PausedNotice pause={state.pause} />}
        <div className="mt-3">
          <OutcomeBar {...imageOutcomeBar(totals)} label="Overall progress" />
        </div>
        {!hasFiles && (
          <p className="mt-2 text-sm text-slate-600" data-testid="no-zip-note">
            {isFinal
              ? "No image was downloaded, so there is no ZIP to download. The manifest says why each one failed."
              : "The master ZIP can be downloaded once an image has arrived."}
          </p>
        )}
        <dl className="mt-4 grid grid-cols-2 gap-3 text-sm sm:grid-cols-6">
          <Count label="Downloaded" value={totals.downloaded} tone="text-emerald-700" />
          <Count label="Duplicates" value={totals.duplicate} tone="text-amber-700" />
          <Count label="Failed" value={totals.failed} tone="text-red-700" />
          <Count label="Waiting" value={totals.pending + totals.downloading} />
          <Count label="Cancelled" value={totals.cancelled} />
          <div>
            <dt className="text-xs text-slate-500">Stored</dt>
            <dd className="font-semibold tabular-nums">{formatBytes(totals.bytes)}</dd>
          </div>
        </dl>
        {canRun && (
          <div className="mt-4 flex flex-wrap gap-2 border-t border-slate-100 pt-4">
            <Button
              onClick={() => retry.mutate({ jobId, scope: "retryable" })}
              disabled={(retryableCount === 0 && !isPaused) || retry.isPending}
            >
              {retryableCount === 0 && isPaused
                ? "Retry now"
                : retryLabel(totals.retryableFailed, totals.cancelled)}
            </Button>
            {permanentFailures > 0 && (
              <Button
                onClick={() => retry.mutate({ jobId, scope: "all" })}
                disabled={retry.isPending}
              >
                {retryAllLabel(totals.failed, totals.cancelled)}
              </Button>
            )}
            <Button
              variant="danger"
              onClick={() => cancel.mutate({ jobId })}
              disabled={isFinal || cancel.isPending}
            >
              Cancel job
            </Button>
            <Button
              onClick={() => runAgain.mutate({ jobId })}
              disabled={!isFinal || runAgain.isPending}
              title="A new batch with the same products, image addresses and options"
            >
              {runAgain.isPending ? "Starting…" : "Run again"}
            </Button>
            <Button
              variant="danger"
              className="ml-auto"
              disabled={remove.isPending}
              onClick={() =>
                void confirm({
                  title: "Delete this job and its files?",
                  body: "Files another job also uses are kept.",
                  confirmLabel: "Delete job",
                }).then((isYes) => isYes && remove.mutate({ jobId }))
              }
            >
              Delete job
            </Button>
          </div>
        )}
        {permanentFailures > 0 && (
          <p className="mt-2 text-xs text-slate-500" data-testid="permanent-failures">
            {permanentFailures.toLocaleString()} failed{" "}
            {permanentFailures === 1 ? "image gets" : "images get"} the same answer every time (such
            as 404 Not Found, not an image, or too large), so “
            {retryLabel(totals.retryableFailed, totals.cancelled)}” leaves{" "}
            {permanentFailures === 1 ? "it" : "them"} out; “
            {retryAllLabel(totals.failed, totals.cancelled)}” fetches{" "}
            {permanentFailures === 1 ? "it" : "them"} anyway.
            <Term name="retryable" />
          </p>
        )}
        {actionError && (
          <div className="mt-3">
            <Alert>{actionError.message}</Alert>
          </div>
        )}
      </Card>

      {!isFinal && (
        <InFlight
          activity={state.activity}
          receivedAt={state.receivedAt}
          products={state.products}
        />
      )}

      {failedCount > 0 && failed.data && failed.data.length > 0 && (
        <Card className="mt-5">
          <div className="flex flex-wrap items-center gap-2">
            <h2 className="mr-auto text-sm font-semibold text-slate-700">
              Failed images ({failedCount.toLocaleString()})
            </h2>
            <a
              href={`/api/jobs/${jobId}/failed?format=tsv`}
              download
              className="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50"
            >
              Failed rows (TSV)
            </a>
            <a
              href={`/api/jobs/${jobId}/failed?format=csv`}
              download
              className="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50"
            >
              Failed rows (CSV)
            </a>
          </div>
          <p className="mt-1 text-xs text-slate-500">
            The failed rows (product number, image URL, line and reason) can be pasted into a new
            batch as they are.
          </p>
          {failed.data.length < failedCount && (
            <p className="mt-1 text-xs text-slate-500">
              Showing the first {failed.data.length.toLocaleString()}; the manifest lists every one.
            </p>
          )}
          <ul
            className="mt-2 max-h-64 divide-y divide-slate-100 overflow-y-auto text-sm"
            data-testid="failed-items"
          >
            {failed.data.map((item) => (
              <li
                key={item.id}
                className="grid gap-1 py-2 sm:grid-cols-[8rem_minmax(0,1fr)_minmax(0,1fr)]"
              >
                <span className="font-mono text-xs break-all">{item.product.number}</span>
                <span className="truncate text-xs text-slate-500" title={item.url}>
                  line {item.line}: {item.url}
                </span>
                <span className="text-xs text-red-700">
                  {item.error}
                  {!item.isRetryable && (
                    <span className="ml-1 text-slate-500">· the same on a retry</span>
                  )}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}

      {state.skippedEntries > 0 && <SkippedRows jobId={jobId} count={state.skippedEntries} />}

      <div className="mt-6 mb-3 flex flex-wrap items-center gap-3">
        <h2 className="text-lg font-semibold">Products ({products.length.toLocaleString()})</h2>
        <input
          value={productFilter}
          onChange={(e) => {
            setProductFilter(e.target.value);
            setPage(0);
          }}
          placeholder="Find a product"
          aria-label="Find a product"
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        />
        <label className="flex items-center gap-2 text-sm text-slate-600">
          <input
            type="checkbox"
            checked={onlyProblems}
            onChange={(e) => {
              setOnlyProblems(e.target.checked);
              setPage(0);
            }}
          />
          Only products with failed or cancelled images
        </label>
        {pageCount > 1 && (
          <div className="ml-auto flex items-center gap-2 text-sm">
            <Button onClick={() => setPage(Math.max(0, page - 1))} disabled={page === 0}>
              Previous
            </Button>
            <span className="tabular-nums text-slate-600">
              Page {page + 1} of {pageCount}
            </span>
            <Button
              onClick={() => setPage(Math.min(pageCount - 1, page + 1))}
              disabled={page >= pageCount - 1}
            >
              Next
            </Button>
          </div>
        )}
      </div>
      {/* minmax(0, 1fr): one long error line must not widen every card past a phone's screen */}
      {visible.length === 0 && (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500">
          {onlyProblems && !productFilter.trim()
            ? "No product has failed or cancelled images."
            : `No product matches “${productFilter.trim()}”${onlyProblems ? " among those with failed or cancelled images" : ""}.`}
        </p>
      )}
      <div className="grid grid-cols-[minmax(0,1fr)] gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {visible.map((product) => (
          <ProductCard key={product.id} jobId={jobId} product={product} />
        ))}
      </div>
    </div>
  );
}

/** "Retry 3 failed", "Retry 3 failed and 2 cancelled": the label says what the button takes. */
function retryLabel(failed: number, cancelled: number): string {
  const parts = [];
  if (failed > 0) parts.push(`${failed.toLocaleString()} failed`);
  if (cancelled > 0) parts.push(`${cancelled.toLocaleString()} cancelled`);
  return parts.length === 0 ? "Retry failed items" : `Retry ${parts.join(" and ")}`;
}

/** "Retry all 9 failed"; a lone failure is retried "anyway", as "all 1" reads oddly. */
function retryAllLabel(failed: number, cancelled: number): string {
  const label =
    failed === 1 ? "Retry 1 failed anyway" : `Retry all ${failed.toLocaleString()} failed`;
  return cancelled > 0 ? `${label} and ${cancelled.toLocaleString()} cancelled` : label;
}

function Count({ label, value, tone }: { label: string; value: number; tone?: string }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className={`font-semibold tabular-nums ${value > 0 && tone ? tone : ""}`}>
        {value.toLocaleString()}
      </dd>
    </div>
  );
}

const FORMAT_NAMES = { jpeg: "JPEG", webp: "WebP", png: "PNG", keep: "their own format" };

/** The batch's naming and conversion in a sentence; null when it has today's defaults. */
function describeImageOptions(options: TStoredImageOptions): string | null {
  const parts: string[] = [];
  if (options.fileNameTemplate !== DEFAULT_FILE_NAME_TEMPLATE)
    parts.push(`File names: ${options.fileNameTemplate}`);
  const conversion = options.conversion;
  if (conversion) {
    const quality =
      conversion.format === "jpeg" || conversion.format === "webp"
        ? `, quality ${conversion.quality}`
        : "";
    const side = conversion.maxSide ? `, longest side ${conversion.maxSide} px` : "";
    parts.push(`converted to ${FORMAT_NAMES[conversion.format]}${side}${quality}`);
    if (conversion.includeOriginals) parts.push("originals in the ZIPs too");
  }
  const text = parts.join(" · ");
  return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : null;
}
