"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../../_components/trpc";
import { Button, ButtonLink, Card } from "../../../_components/ui";

/**
 * The entries Analyze left out of the batch (errors and duplicates), so a user who queued a batch
 * with skipped rows can still see which ones, and fix them in the spreadsheet. Collapsed at first;
 * read a page at a time when opened, since a big paste can skip thousands.
 */
export function SkippedRows({ jobId, count }: { jobId: string; count: number }) {
  const trpc = useTRPC();
  const [isOpen, setIsOpen] = useState(false);
  const [page, setPage] = useState(0);
  const rows = useQuery({
    ...trpc.batches.skippedRows.queryOptions({ jobId, page }),
    enabled: isOpen,
    placeholderData: keepPreviousData,
  });
  const data = rows.data;

  return (
    <Card className="mt-5">
      <details
        data-testid="skipped-rows"
        onToggle={(event) => setIsOpen((event.target as HTMLDetailsElement).open)}
      >
        <summary className="cursor-pointer text-sm font-semibold text-slate-700">
          Skipped at Analyze ({count.toLocaleString()}): errors and duplicates, never queued
        </summary>
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <ButtonLink href={`/api/jobs/${jobId}/skipped`} download>
            Download skipped.csv
          </ButtonLink>
          {data && data.pageCount > 1 && (
            <div className="ml-auto flex items-center gap-2 text-sm">
              <Button
                onClick={() => setPage(Math.max(0, data.page - 1))}
                disabled={data.page === 0}
              >
                Previous
              </Button>
              <span className="tabular-nums text-slate-600">
                Page {data.page + 1} of {data.pageCount}
              </span>
              <Button
                onClick={() => setPage(Math.min(data.pageCount - 1, data.page + 1))}
                disabled={data.page >= data.pageCount - 1}
              >
                Next
              </Button>
            </div>
          )}
        </div>
        {rows.error && <p className="mt-2 text-sm text-red-700">{rows.error.message}</p>}
        {data && (
          <ul className="mt-2 divide-y divide-slate-100 text-sm" aria-label="Skipped entries">
            {data.rows.map((row, index) => (
              <li
                key={`${row.line}-${index}`}
                data-verdict={row.verdict}
                className="grid gap-1 py-2 sm:grid-cols-[5rem_9rem_minmax(0,1fr)]"
              >
                <span className="text-xs tabular-nums text-slate-500">line {row.line}</span>
                <span className="font-mono text-xs break-all">{row.product || "—"}</span>
                <span className="min-w-0 text-xs [overflow-wrap:anywhere]">
                  <span className={row.verdict === "error" ? "text-red-700" : "text-amber-700"}>
                    {row.message}
                  </span>
                  {row.url && <span className="text-slate-500">: {row.url}</span>}
                </span>
              </li>
            ))}
          </ul>
        )}
      </details>
    </Card>
  );
}
