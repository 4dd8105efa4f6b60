/// <reference lib="webworker" />
// Analysis off the main thread: a 100,000-row paste takes a second or more to parse and check,
// which froze the page (typing, scrolling, the spinner) while it ran.
import { analyzeBatchInput, readUploadBytes, type BatchAnalysis } from "@/server/batches/input";
import type { TAnalyzeRequest, TAnalyzeResponse } from "./analyze-in-worker";
import { generateLargePaste } from "@/server/batches/input/generate-large-paste";
import { packAnalysis, transferablesOf, type TPackedAnalysis } from "./packed-analysis";

const scope = self as unknown as DedicatedWorkerGlobalScope;

// A first analysis runs unoptimised code; one of a few thousand rows while the page is still
// empty makes the user's first one faster.
analyzeBatchInput(generateLargePaste(3_000));

scope.onmessage = async (event: MessageEvent<TAnalyzeRequest>) => {
  const response = await runAnalysis(event.data);
  const packed = response.analysis ? packAnalysis(response.analysis) : null;
  const message: TAnalyzeResponse<TPackedAnalysis> = { ...response, analysis: packed };
  scope.postMessage(message, packed ? transferablesOf(packed) : []);
};

async function runAnalysis(request: TAnalyzeRequest): Promise<TAnalyzeResponse<BatchAnalysis>> {
  if (request.text !== undefined) {
    // a pasted string is copied here in a few hundred milliseconds for 10 MB; encoding it to bytes
    // to move them instead took the page longer than that
    const analysis = analyzeBatchInput(request.text, { source: request.source });
    return { id: request.id, analysis, text: null, refusal: null, archive: null };
  }
  // a ZIP is opened here too, with the server's reader and limits
  const read = await readUploadBytes(new Uint8Array(request.bytes), { entry: request.entry });
  if (read.refusal !== null)
    return { id: request.id, analysis: null, text: null, refusal: read.refusal, archive: null };
  const analysis = analyzeBatchInput(read.text, {
    source: request.source,
    readingNote: read.note,
  });
  // the page sends what was read, so the server stores exactly what the preview showed
  return { id: request.id, analysis, text: read.text, refusal: null, archive: read.archive };
}
