"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button } from "../../_components/ui";

/**
 * "Preview first 20 rows": runs the query the form describes, unsaved, the way a run fetches it,
 * and shows the header and rows, or the system's reason in a sentence. `buildQuery` throws a
 * sentence when the form's text cannot be sent (a JSON box that does not parse).
 */
export function ReportPreview({
  connectorId,
  buildQuery,
}: {
  connectorId: string;
  buildQuery: () => Record<string, unknown>;
}) {
  const trpc = useTRPC();
  const preview = useMutation(trpc.reports.preview.mutationOptions());
  const [problem, setProblem] = useState<string | null>(null);
  const result = preview.data;

  function run() {
    setProblem(null);
    preview.reset();
    try {
      preview.mutate({ connectorId, query: buildQuery() });
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  return (
    <section aria-label="Preview" className="grid gap-3" data-testid="report-preview">
      <div>
        <Button type="button" onClick={run} disabled={!connectorId || preview.isPending}>
          {preview.isPending ? "Fetching the first rows…" : "Preview first 20 rows"}
        </Button>
      </div>
      {(problem ?? preview.error?.message) && <Alert>{problem ?? preview.error?.message}</Alert>}
      {result && (
        <div className="grid gap-2">
          <p role="status" className="text-sm text-slate-700">
            {result.rows.length === 0
              ? "The report has a header but no rows."
              : result.hasMore
                ? `The first ${result.rows.length} rows; the report has more.`
                : result.rows.length === 1
                  ? "The report's one row."
                  : `All ${result.rows.length} rows of the report.`}
            {result.hiddenColumns > 0 &&
              ` ${result.hiddenColumns} more column${result.hiddenColumns === 1 ? " is" : "s are"} not shown.`}
          </p>
          <div
            className="max-h-96 overflow-auto rounded-md border border-slate-200"
            tabIndex={0}
            aria-label="Preview rows"
          >
            <table className="min-w-full text-left text-xs">
              <thead className="sticky top-0 bg-slate-100">
                <tr>
                  {result.columns.map((column, index) => (
                    <th
                      key={index}
                      scope="col"
                      className="whitespace-nowrap px-2 py-1.5 font-semibold text-slate-800"
                    >
                      {column}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.rows.map((row, rowIndex) => (
                  <tr
                    key={rowIndex}
                    className="border-t border-slate-100 odd:bg-white even:bg-slate-50"
                  >
                    {row.map((value, index) => (
                      <td
                        key={index}
                        className="max-w-xs truncate px-2 py-1 text-slate-800"
                        title={value}
                      >
                        {value}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {result.notes.length > 0 && (
            <ul className="list-disc pl-5 text-xs text-slate-600">
              {result.notes.map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
