"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { AnalyzedRow, ProductSummary } from "@/server/batches/input";
import type { TPreviewAnalysis, TRowTable } from "./packed-analysis";
import { Card } from "../../../_components/ui";

type TFilter = "all" | "error" | "duplicate";
const ROW_HEIGHT = 36;
/** a phone's entry: line, product and verdict on one line, the message on up to two below */
const PHONE_ROW_HEIGHT = 68;
const WIDE_SCREEN = "(min-width: 640px)";

function subscribeToWidth(onChange: () => void): () => void {
  const query = window.matchMedia(WIDE_SCREEN);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/** Whether the screen has room for the four columns side by side (the server assumes it has). */
function useIsWideScreen(): boolean {
  return useSyncExternalStore(
    subscribeToWidth,
    () => window.matchMedia(WIDE_SCREEN).matches,
    () => true,
  );
}

const VERDICT_STYLE: Record<AnalyzedRow["verdict"], string> = {
  ok: "bg-emerald-100 text-emerald-800",
  error: "bg-red-100 text-red-800",
  duplicate: "bg-amber-100 text-amber-800",
};

const TABS: [TFilter, string][] = [
  ["all", "All entries"],
  ["error", "Errors"],
  ["duplicate", "Duplicates"],
];

function nextTab(current: TFilter, key: string): TFilter | null {
  const index = TABS.findIndex(([value]) => value === current);
  const step: Record<string, number> = {
    ArrowRight: index + 1,
    ArrowLeft: index - 1 + TABS.length,
    Home: 0,
    End: TABS.length - 1,
  };
  return key in step ? TABS[step[key]! % TABS.length]![0] : null;
}

export function AnalysisPreview({ analysis }: { analysis: TPreviewAnalysis }) {
  const [filter, setFilter] = useState<TFilter>(analysis.totals.errors > 0 ? "error" : "all");
  // the rows as the list reads them: all of them, or those of one verdict, by index
  const rows = useMemo((): { count: number; at: (index: number) => AnalyzedRow } => {
    const table: TRowTable = analysis.rows;
    if (filter === "all") return table;
    const indexes = table.indexesOf(filter);
    return { count: indexes.length, at: (index) => table.at(indexes[index]!) };
  }, [analysis, filter]);
  const { totals } = analysis;
  const counts = { all: totals.rows, error: totals.errors, duplicate: totals.duplicates };

  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
      <Card className="min-w-0">
        <dl className="mb-4 grid grid-cols-3 gap-3 text-center sm:grid-cols-6" aria-label="Totals">
          <Stat
            label="Entries"
            value={totals.rows}
            title="One per URL: a cell with several URLs gives several entries"
          />
          <Stat label="Valid" value={totals.ok} tone="text-emerald-700" />
          <Stat
            label="Errors"
            value={totals.errors}
            tone={totals.errors ? "text-red-700" : undefined}
          />
          <Stat
            label="Duplicates"
            value={totals.duplicates}
            tone={totals.duplicates ? "text-amber-700" : undefined}
          />
          <Stat label="Products" value={totals.products} />
          <Stat label="Images" value={totals.images} />
        </dl>
        <div role="tablist" aria-label="Show entries" className="mb-3 flex gap-1 text-sm">
          {TABS.map(([value, label]) => (
            <button
              key={value}
              id={`entries-tab-${value}`}
              role="tab"
              aria-selected={filter === value}
              aria-controls="entries-panel"
              // one tab stop for the group; the arrow keys move between tabs (WAI-ARIA tabs)
              tabIndex={filter === value ? 0 : -1}
              onClick={() => setFilter(value)}
              onKeyDown={(event) => {
                const next = nextTab(value, event.key);
                if (!next) return;
                event.preventDefault();
                setFilter(next);
                document.getElementById(`entries-tab-${next}`)?.focus();
              }}
              className={`rounded-md px-3 py-1.5 ${filter === value ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`}
            >
              {label} ({counts[value].toLocaleString()})
            </button>
          ))}
        </div>
        <div id="entries-panel" role="tabpanel" aria-labelledby={`entries-tab-${filter}`}>
          <RowTable rows={rows} />
        </div>
      </Card>
      <Card className="min-w-0">
        <h2 className="mb-3 text-sm font-semibold text-slate-700">Per product</h2>
        <ProductTable products={analysis.products} />
      </Card>
    </div>
  );
}

function Stat({
  label,
  value,
  tone,
  title,
}: {
  label: string;
  value: number;
  tone?: string;
  title?: string;
}) {
  return (
    <div className="rounded-lg bg-slate-50 px-2 py-2" title={title}>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className={`text-lg font-semibold tabular-nums ${tone ?? ""}`}>
        {value.toLocaleString()}
      </dd>
    </div>
  );
}

type TRows = { count: number; at: (index: number) => AnalyzedRow };

function RowTable({ rows }: { rows: TRows }) {
  const isWide = useIsWideScreen();
  // a new list when the layout changes: every row's height changes with it
  return <RowList key={isWide ? "wide" : "phone"} rows={rows} isWide={isWide} />;
}

function RowList({ rows, isWide }: { rows: TRows; isWide: boolean }) {
  const parent = useRef<HTMLDivElement>(null);
  const rowHeight = isWide ? ROW_HEIGHT : PHONE_ROW_HEIGHT;
  const columns = isWide
    ? "grid-cols-[4rem_9rem_minmax(0,1fr)_6rem]"
    : "grid-cols-[2.5rem_minmax(0,1fr)_auto]";
  const virtualizer = useVirtualizer({
    count: rows.count,
    getScrollElement: () => parent.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  if (rows.count === 0)
    return <p className="py-8 text-center text-sm text-slate-500">No rows to show here.</p>;
  return (
    <div className="overflow-x-auto">
      <div className={isWide ? "min-w-[640px]" : ""}>
        <div
          className={`grid ${columns} gap-2 border-b border-slate-200 px-2 pb-2 text-xs font-medium uppercase tracking-wide text-slate-500`}
        >
          <span>Line</span>
          <span>{isWide ? "Product" : "Product, image URL / message"}</span>
          {isWide && <span>Image URL / message</span>}
          <span>Verdict</span>
        </div>
        {/* focusable, so the keyboard can scroll the list (PageDown, arrows) */}
        <div
          ref={parent}
          className="h-96 overflow-y-auto"
          data-testid="analysis-rows"
          tabIndex={0}
          aria-label="Entries"
        >
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows.at(item.index);
              return (
                <div
                  key={item.key}
                  data-verdict={row.verdict}
                  className={`absolute left-0 grid w-full ${columns} ${isWide ? "items-center gap-2" : "content-center gap-x-2 gap-y-0.5"} border-b border-slate-100 px-2 text-sm`}
                  style={{ height: rowHeight, transform: `translateY(${item.start}px)` }}
                >
                  <span className="tabular-nums text-slate-500">{row.line}</span>
                  <span className="truncate font-mono text-xs" title={row.product}>
                    {row.product || "—"}
                  </span>
                  <span
                    className={`min-w-0 text-xs ${isWide ? "truncate" : "order-last col-span-3 line-clamp-2 [overflow-wrap:anywhere]"}`}
                    title={row.message ? `${row.message} — ${row.url}` : row.url}
                    data-testid="entry-message"
                  >
                    {row.message && (
                      <span className={row.verdict === "error" ? "text-red-700" : "text-amber-700"}>
                        {row.message}
                        {row.url ? ": " : ""}
                      </span>
                    )}
                    {/* the value itself, so a bad cell can be found without hovering */}
                    <span className="text-slate-600">{row.url}</span>
                  </span>
                  <span>
                    <span
                      className={`rounded-full px-2 py-0.5 text-xs font-medium ${VERDICT_STYLE[row.verdict]}`}
                    >
                      {row.verdict}
                    </span>
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}

function ProductTable({ products }: { products: ProductSummary[] }) {
  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: products.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  return (
    <div>
      <div className="grid grid-cols-[minmax(0,1fr)_4rem_4rem_4rem] gap-2 border-b border-slate-200 px-2 pb-2 text-xs font-medium uppercase tracking-wide text-slate-500">
        <span>Product</span>
        <span className="text-right">Images</span>
        <span className="text-right">Dupes</span>
        <span className="text-right">Errors</span>
      </div>
      {/* focusable, so the keyboard can scroll the list too */}
      <div
        ref={parent}
        className="h-96 overflow-y-auto"
        data-testid="analysis-products"
        tabIndex={0}
        aria-label="Products"
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const p = products[item.index]!;
            return (
              <div
                key={item.key}
                className="absolute left-0 grid w-full grid-cols-[minmax(0,1fr)_4rem_4rem_4rem] items-center gap-2 border-b border-slate-100 px-2 text-sm tabular-nums"
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                <span className="truncate font-mono text-xs">{p.product}</span>
                <span className="text-right">{p.images}</span>
                <span className="text-right text-amber-700">{p.duplicates || ""}</span>
                <span className="text-right text-red-700">{p.errors || ""}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
