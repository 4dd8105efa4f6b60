/**
 * Prints how long analysis of a 100,000-row paste takes, and compares the hand-written parser
 * with Papa Parse on the same text. Timing lives here rather than in tests because wall-clock
 * assertions are flaky on shared CI machines. Run: npx tsx server/batches/input/measure.ts
 */
import Papa from "papaparse";
import { analyzeBatchInput } from "./analyze-batch-input";
import { generateLargePaste } from "./generate-large-paste";
import { parseDelimitedRecords } from "./parse-delimited";

const ROWS = 100_000;
const RUNS = 7;

function measureMedianMs(run: () => unknown): number {
  // The first runs include JIT compilation, which a long-lived browser tab or server pays once.
  run();
  run();
  const times: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function measureColdMs(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const text = generateLargePaste(ROWS);
const coldMs = measureColdMs(() => analyzeBatchInput(text));
const analyzeMs = measureMedianMs(() => analyzeBatchInput(text));
const ownParserMs = measureMedianMs(() => parseDelimitedRecords(text, "\t"));
const papaMs = measureMedianMs(() => Papa.parse<string[]>(text, { delimiter: "\t" }));

console.log(`input: ${ROWS.toLocaleString("en")} rows, ${(text.length / 1e6).toFixed(1)} MB`);
console.log(`analyzeBatchInput, first call: ${coldMs.toFixed(0)} ms`);
console.log(`analyzeBatchInput, median of ${RUNS}: ${analyzeMs.toFixed(0)} ms`);
console.log(`parse only, parseDelimitedRecords: ${ownParserMs.toFixed(0)} ms`);
console.log(`parse only, Papa.parse: ${papaMs.toFixed(0)} ms`);
