"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { formatBytes } from "@/server/format-bytes";
import type { TArchiveChoice } from "@/server/batches/input/read-upload";
import { MAX_UPLOAD_BYTES } from "@/server/batches/input/upload-limits";
import { useTRPC } from "../../../_components/trpc";
import { Alert, Button, Card, PageTitle } from "../../../_components/ui";
import { AnalysisPreview } from "./analysis-preview";
import { useAnalyzeInWorker } from "./analyze-in-worker";
import {
  ImageOptionsFields,
  INITIAL_IMAGE_OPTIONS,
  readImageOptions,
  type TImageOptionsForm,
} from "./image-options-fields";
import type { TPreviewAnalysis } from "./packed-analysis";

// A text box lays out every line it holds: 10 MB took Chromium 5.5 s, and again after each change.
// Input above this size is kept by the page, and the box shows its first lines only.
const LARGE_INPUT_CHARACTERS = 100_000;
const SHOWN_LINES = 100;

export function NewBatch() {
  const trpc = useTRPC();
  const router = useRouter();
  const fileInput = useRef<HTMLInputElement>(null);
  // Uncontrolled: megabytes of rows in React state made every keystroke and the paste itself
  // re-render the page with the whole text (4.3 s for a 100,000-row paste).
  const rowsBox = useRef<HTMLTextAreaElement>(null);
  // a paste the browser inserts itself is analyzed on the input event that follows it
  const pendingPasteAnalysis = useRef(false);
  // large input, kept out of the box (and out of React state); the box shows its first lines
  const heldInput = useRef<string | null>(null);
  const [heldSummary, setHeldSummary] = useState<string | null>(null);
  const [hasText, setHasText] = useState(false);
  const [source, setSource] = useState<"paste" | "csv">("paste");
  const [fileName, setFileName] = useState<string | null>(null);
  // an uploaded ZIP, kept so another of its spreadsheets can be read; and what it holds
  const uploadedZip = useRef<File | null>(null);
  const [archive, setArchive] = useState<(TArchiveChoice & { zipName: string }) | null>(null);
  const [title, setTitle] = useState("");
  const [imageOptions, setImageOptions] = useState<TImageOptionsForm>(INITIAL_IMAGE_OPTIONS);
  const [analysis, setAnalysis] = useState<TPreviewAnalysis | null>(null);
  // the input the analysis judged, and the key that makes queueing it twice create one job
  const analyzed = useRef<{ text: string; source: "paste" | "csv" } | null>(null);
  const [idempotencyKey, setIdempotencyKey] = useState("");
  const [inputError, setInputError] = useState<string | null>(null);
  const [isAnalyzing, setIsAnalyzing] = useState(false);
  const analyzeInWorker = useAnalyzeInWorker();
  const create = useMutation(
    trpc.batches.create.mutationOptions({
      onSuccess: (result) => router.push(`/jobs/${result.jobId}`),
    }),
  );

  function showAnalysis(
    next: TPreviewAnalysis | null,
    input: { text: string; source: "paste" | "csv" } | null,
  ) {
    analyzed.current = input;
    setAnalysis(next);
    setIdempotencyKey(next ? createRequestKey() : "");
  }

  async function analyzeText(text: string, nextSource: "paste" | "csv") {
    setInputError(null);
    if (!text.trim()) {
      showAnalysis(null, null);
      setInputError("Paste some rows or choose a CSV file first.");
      return;
    }
    setIsAnalyzing(true);
    const result = await analyzeInWorker({ text, source: nextSource });
    setIsAnalyzing(false);
    showAnalysis(result.analysis, { text, source: nextSource });
  }

  function currentText(): string {
    return heldInput.current ?? rowsBox.current?.value ?? "";
  }

  /** Puts input in the box, or, when it is large, keeps it and shows its first lines. */
  function setRows(text: string) {
    const box = rowsBox.current;
    if (!box) return;
    if (text.length < LARGE_INPUT_CHARACTERS) {
      heldInput.current = null;
      setHeldSummary(null);
      box.value = text;
    } else {
      heldInput.current = text;
      const { head, lines } = firstLines(text, SHOWN_LINES);
      box.value = head;
      setHeldSummary(
        `${lines.toLocaleString()} lines (${(text.length / 1e6).toFixed(1)} MB): the box shows the first ${SHOWN_LINES}, and all of them are analyzed. Clear to type or paste something else.`,
      );
    }
    setHasText(text !== "");
  }

  /** What was read from a file is gone (edited, cleared, replaced by a paste). */
  function forgetFile() {
    setFileName(null);
    uploadedZip.current = null;
    setArchive(null);
  }

  function onRowsEdited() {
    setHasText(Boolean(rowsBox.current?.value));
    setSource("paste");
    forgetFile();
    if (analysis) showAnalysis(null, null);
  }

  function onPaste(event: React.ClipboardEvent<HTMLTextAreaElement>) {
    const pasted = event.clipboardData.getData("text/plain");
    const box = event.currentTarget;
    if (heldInput.current !== null) {
      // the box shows only the start of what it holds: a paste replaces the whole of it
      event.preventDefault();
      setRows(pasted);
      setSource("paste");
      forgetFile();
      void analyzeText(pasted, "paste");
      return;
    }
    if (pasted.length < LARGE_INPUT_CHARACTERS) {
      pendingPasteAnalysis.current = true;
      return;
    }
    event.preventDefault();
    const text =
      box.value.slice(0, box.selectionStart) + pasted + box.value.slice(box.selectionEnd);
    setRows(text);
    setSource("paste");
    forgetFile();
    void analyzeText(text, "paste");
  }

  function clearRows() {
    setRows("");
    showAnalysis(null, null);
    forgetFile();
    setSource("paste");
    setInputError(null);
  }

  /** Reads an uploaded file (a ZIP: its image list, or the spreadsheet `entry` names). */
  async function onFile(file: File | undefined, entry?: string) {
    if (!file) return;
    if (file.size > MAX_UPLOAD_BYTES) {
      setInputError(
        `${file.name} is larger than ${formatBytes(MAX_UPLOAD_BYTES)}. Split it into smaller batches.`,
      );
      return;
    }
    setInputError(null);
    setIsAnalyzing(true);
    // the bytes, not file.text(): that reads everything as UTF-8, and Excel's CSV is Windows-1252
    const result = await analyzeInWorker({ bytes: await file.arrayBuffer(), source: "csv", entry });
    setIsAnalyzing(false);
    if (result.refusal !== null || result.text === null) {
      showAnalysis(null, null);
      setInputError(result.refusal ?? "This file could not be read.");
      return;
    }
    setRows(result.text);
    setSource("csv");
    setFileName(file.name);
    uploadedZip.current = result.archive ? file : null;
    setArchive(result.archive ? { ...result.archive, zipName: file.name } : null);
    showAnalysis(result.analysis, { text: result.text, source: "csv" });
  }

  const readOptions = readImageOptions(imageOptions);
  const canQueue =
    analysis !== null &&
    !analysis.fatal &&
    analysis.totals.images > 0 &&
    !create.isPending &&
    readOptions.problem === null;
  const firstImage = analysis?.rows.indexesOf("ok")[0];
  const exampleRow = firstImage === undefined ? null : analysis!.rows.at(firstImage);

  return (
    <div>
      <PageTitle
        title="New image batch"
        subtitle="Paste two columns (product number, image URL) from Excel or Google Sheets, or upload a CSV (or a ZIP holding one)."
        actions={
          <a
            href="/datahaul-sample.csv"
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
            Rows{" "}
            {fileName && (
              <span className="font-normal text-slate-500">
                · from {archive ? `${archive.chosen} in ${archive.zipName}` : fileName}
              </span>
            )}
          </label>
          <textarea
            id="batch-input"
            ref={rowsBox}
            defaultValue=""
            readOnly={heldSummary !== null}
            aria-describedby={heldSummary ? "held-input" : undefined}
            onPaste={onPaste}
            onInput={() => {
              onRowsEdited();
              if (!pendingPasteAnalysis.current) return;
              pendingPasteAnalysis.current = false;
              void analyzeText(rowsBox.current?.value ?? "", "paste");
            }}
            spellCheck={false}
            placeholder={
              "Product Number\tImage Src\nSKU-1001\thttps://cdn.example.com/sku-1001-front.jpg\nSKU-1001\thttps://cdn.example.com/sku-1001-back.jpg"
            }
            className="h-64 w-full resize-y rounded-md border border-slate-300 p-3 font-mono text-xs leading-5 shadow-inner focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-100 read-only:bg-slate-50"
          />
          {heldSummary && (
            <p id="held-input" className="mt-1 text-xs text-slate-500" data-testid="held-input">
              {heldSummary}
            </p>
          )}
          <div className="mt-3 flex flex-wrap items-center gap-2">
            <Button
              variant="primary"
              onClick={() => void analyzeText(currentText(), source)}
              disabled={isAnalyzing}
            >
              {isAnalyzing ? "Analyzing…" : "Analyze"}
            </Button>
            <Button onClick={() => fileInput.current?.click()}>Upload CSV or ZIP…</Button>
            <input
              ref={fileInput}
              type="file"
              accept=".csv,.tsv,.txt,.zip,text/csv,text/plain,application/zip"
              className="sr-only"
              // reached through the Upload button; as a tab stop of its own it was invisible
              tabIndex={-1}
              aria-label="CSV or ZIP file"
              onChange={(e) => {
                void onFile(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
            {hasText && <Button onClick={clearRows}>Clear</Button>}
          </div>
          {archive && archive.entries.length > 1 && (
            <div className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3">
              <label htmlFor="archive-entry" className="block text-sm font-medium text-slate-700">
                Spreadsheet in {archive.zipName}
              </label>
              <select
                id="archive-entry"
                value={archive.chosen}
                disabled={isAnalyzing}
                aria-describedby="archive-entry-help"
                onChange={(e) => void onFile(uploadedZip.current ?? undefined, e.target.value)}
                className="mt-1 block w-full max-w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
              >
                {archive.entries.map((entry) => (
                  <option key={entry.name} value={entry.name}>
                    {entry.name} ({formatBytes(entry.bytes)})
                  </option>
                ))}
              </select>
              <p id="archive-entry-help" className="mt-1 text-xs text-slate-600">
                The ZIP holds {archive.entries.length} spreadsheets. The one that looks like an
                image list (a product number and an image URL) was read; choose another to read it
                instead.
              </p>
            </div>
          )}
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
            <li>
              Product numbers: letters and digits of any language, - and _, up to 64 characters.
            </li>
            <li>
              Files: CSV or text in UTF-8, UTF-16 or Windows-1252 (what Excel&apos;s “CSV (Comma
              delimited)” writes). Workbooks (.xlsx) must be saved as CSV first.
            </li>
            <li>
              ZIP: a zipped CSV (an export sent by e-mail, a zipped folder) is opened and its
              spreadsheet read as above; with several inside you choose which. Up to{" "}
              {formatBytes(MAX_UPLOAD_BYTES)} unpacked; password-protected ZIPs cannot be read.
            </li>
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
                    onClick={() =>
                      analyzed.current &&
                      readOptions.options &&
                      create.mutate({
                        ...analyzed.current,
                        title: title || undefined,
                        idempotencyKey,
                        options: readOptions.options,
                      })
                    }
                  >
                    {create.isPending
                      ? "Queuing…"
                      : `Queue downloads (${analysis.totals.images.toLocaleString()} image${analysis.totals.images === 1 ? "" : "s"})`}
                  </Button>
                </div>
                <ImageOptionsFields
                  value={imageOptions}
                  onChange={setImageOptions}
                  example={exampleRow}
                />
                {readOptions.problem !== null &&
                  // the template's own problem is shown under its field already
                  readOptions.field !== "fileNameTemplate" && (
                    <p className="mt-2 text-sm text-red-700" role="alert">
                      {readOptions.problem}
                    </p>
                  )}
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

/** The first lines of a text, and how many lines it has. */
function firstLines(text: string, count: number): { head: string; lines: number } {
  let end = 0;
  for (let line = 0; line < count && end !== -1; line++) end = text.indexOf("\n", end + 1);
  let lines = 1;
  for (
    let at = text.indexOf("\n");
    at !== -1 && at < text.length - 1;
    at = text.indexOf("\n", at + 1)
  )
    lines++;
  // without the CR of a CRLF: alone at the end, a text box would make it one more line
  return { head: end === -1 ? text : text.slice(0, end).replace(/\r$/, ""), lines };
}

/**
 * A key for one analyzed input: pressing Queue again, or a retry after a lost answer, gets the same
 * job. getRandomValues, not randomUUID, which browsers offer only on HTTPS and localhost.
 */
function createRequestKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The analysis words its problems for the middle of a sentence ("the input is empty"). */
function asSentence(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
