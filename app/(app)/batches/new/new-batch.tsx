"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";
import { analyzeBatchInput, type BatchAnalysis } from "@/server/batches/input";
import { useTRPC } from "../../../_components/trpc";
import { Alert, Button, Card, PageTitle } from "../../../_components/ui";
import { AnalysisPreview } from "./analysis-preview";

const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function NewBatch() {
  const trpc = useTRPC();
  const router = useRouter();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [source, setSource] = useState<"paste" | "csv">("paste");
  const [fileName, setFileName] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const [analysis, setAnalysis] = useState<BatchAnalysis | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const [isAnalyzing, startAnalyzing] = useTransition();
  const create = useMutation(
    trpc.batches.create.mutationOptions({
      onSuccess: (result) => router.push(`/jobs/${result.jobId}`),
    }),
  );

  function analyze(nextText = text, nextSource = source) {
    setInputError(null);
    if (!nextText.trim()) {
      setAnalysis(null);
      setInputError("Paste some rows or choose a CSV file first.");
      return;
    }
    startAnalyzing(() => setAnalysis(analyzeBatchInput(nextText, { source: nextSource })));
  }

  async function onFile(file: File | undefined) {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setInputError(`${file.name} is larger than 64 MB. Split it into smaller batches.`);
      return;
    }
    const content = await file.text();
    setText(content);
    setSource("csv");
    setFileName(file.name);
    analyze(content, "csv");
  }

  const canQueue =
    analysis !== null && !analysis.fatal && analysis.totals.images > 0 && !create.isPending;

  return (
    <div>
      <PageTitle
        title="New image batch"
        subtitle="Paste two columns (product number, image URL) from Excel or Google Sheets, or upload a CSV."
        actions={
          <a
            href="/api/batches/sample-csv"
            className="text-sm font-medium text-brand-600 hover:underline"
            download
          >
            Download sample CSV
          </a>
        }
      />
      <div className="grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Card>
          <label htmlFor="batch-input" className="mb-2 block text-sm font-medium text-slate-700">
            Rows {fileName && <span className="font-normal text-slate-500">· from {fileName}</span>}
          </label>
          <textarea
            id="batch-input"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setSource("paste");
              setFileName(null);
              setAnalysis(null);
            }}
            spellCheck={false}
            placeholder={
              "Product Number\tImage Src\nSKU-1001\thttps://cdn.example.com/sku-1001-front.jpg\nSKU-1001\thttps://cdn.example.com/sku-1001-back.jpg"
            }
            className="h-64 w-full resize-y rounded-md border border-slate-300 p-3 font-mono text-xs leading-5 shadow-inner focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-100"
          />
          <div className="mt-3 flex flex-wrap items-center gap-2">
            <Button variant="primary" onClick={() => analyze()} disabled={isAnalyzing}>
              {isAnalyzing ? "Analyzing…" : "Analyze"}
            </Button>
            <Button onClick={() => fileInput.current?.click()}>Upload CSV…</Button>
            <input
              ref={fileInput}
              type="file"
              accept=".csv,.tsv,.txt,text/csv,text/plain"
              className="sr-only"
              // reached through the Upload button; as a tab stop of its own it was invisible
              tabIndex={-1}
              aria-label="CSV file"
              onChange={(e) => {
                void onFile(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
            {text && (
              <Button
                onClick={() => {
                  setText("");
                  setAnalysis(null);
                  setFileName(null);
                  setInputError(null);
                }}
              >
                Clear
              </Button>
            )}
          </div>
          {inputError && (
            <div className="mt-3">
              <Alert>{inputError}</Alert>
            </div>
          )}
        </Card>
        <Card>
          <h2 className="text-sm font-semibold text-slate-700">What is accepted</h2>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-600">
            <li>
              Header row optional. Product column: Product Number, Product, ProductID or SKU. URL
              column: Image Src, Image URL, ImageURL, URL or Image; more images of a row in numbered
              columns (Image 2, Image 3…), or without a header in any further column.
            </li>
            <li>Product numbers: letters, digits, - and _, up to 64 characters.</li>
            <li>
              URLs: absolute http or https, up to 2048 characters. Several URLs in one cell are
              several images: one per line, or separated by |, or by a space or comma before the
              next http://. A space inside a file name stays part of the URL.
            </li>
            <li>The same URL twice for one product is downloaded once.</li>
          </ul>
        </Card>
      </div>

      {analysis && (
        <div className="mt-5 space-y-4">
          {analysis.fatal ? (
            <Alert>{asSentence(analysis.fatal)}</Alert>
          ) : (
            <>
              <Card>
                <div className="flex flex-wrap items-end gap-3">
                  <label className="block min-w-64 flex-1 text-sm">
                    <span className="mb-1 block font-medium text-slate-700">
                      Job name (optional)
                    </span>
                    <input
                      value={title}
                      onChange={(e) => setTitle(e.target.value)}
                      maxLength={200}
                      placeholder="e.g. Spring catalogue images"
                      className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
                    />
                  </label>
                  <Button
                    variant="primary"
                    disabled={!canQueue}
                    onClick={() => create.mutate({ text, source, title: title || undefined })}
                  >
                    {create.isPending
                      ? "Queuing…"
                      : `Queue downloads (${analysis.totals.images.toLocaleString()} image${analysis.totals.images === 1 ? "" : "s"})`}
                  </Button>
                </div>
                {analysis.totals.errors > 0 && (
                  <p className="mt-2 text-sm text-amber-700">
                    {analysis.totals.errors.toLocaleString()}{" "}
                    {analysis.totals.errors === 1
                      ? "entry has an error and"
                      : "entries have errors and"}{" "}
                    will be skipped.
                  </p>
                )}
                {analysis.notes.map((note) => (
                  <p key={note} className="mt-2 text-sm text-slate-600">
                    {note}
                  </p>
                ))}
                {create.error && (
                  <div className="mt-3">
                    <Alert>{asSentence(create.error.message)}</Alert>
                  </div>
                )}
              </Card>
              <AnalysisPreview analysis={analysis} />
            </>
          )}
        </div>
      )}
    </div>
  );
}

/** The analysis words its problems for the middle of a sentence ("the input is empty"). */
function asSentence(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
