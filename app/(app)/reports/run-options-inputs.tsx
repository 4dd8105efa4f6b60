"use client";

import { FieldProblem, type TFieldErrors } from "../../_components/form-errors";
import { Term } from "../../_components/term";

const NUMBER = "w-20 rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** How many reports a run fetches at once and how many attempts each gets: for Run now and schedules. */
export function RunOptionsInputs({
  maxConcurrency,
  maxAttempts,
  onChange,
  isStacked = false,
  errors = {},
}: {
  maxConcurrency: number;
  maxAttempts: number;
  onChange: (options: { maxConcurrency: number; maxAttempts: number }) => void;
  isStacked?: boolean;
  /** what the server said about either number at the last save */
  errors?: TFieldErrors;
}) {
  const input = `${NUMBER} ${isStacked ? "mt-1 block" : "ml-2"}`;
  return (
    <>
      <label className="text-sm text-slate-700">
        {/* the inputs have their own aria-label: the "?" button stays out of their names */}
        <Term name="concurrency">At once</Term>
        <input
          type="number"
          min={1}
          max={32}
          value={maxConcurrency}
          onChange={(e) => onChange({ maxConcurrency: Number(e.target.value), maxAttempts })}
          className={input}
          aria-label="Reports fetched at once"
          aria-invalid={errors.maxConcurrency ? true : undefined}
        />
        <FieldProblem errors={errors} path="maxConcurrency" />
      </label>
      <label className="text-sm text-slate-700">
        <Term name="max_attempts">Attempts per report</Term>
        <input
          type="number"
          min={1}
          max={20}
          value={maxAttempts}
          onChange={(e) => onChange({ maxConcurrency, maxAttempts: Number(e.target.value) })}
          className={input}
          aria-label="Attempts per report"
          aria-invalid={errors.maxAttempts ? true : undefined}
        />
        <FieldProblem errors={errors} path="maxAttempts" />
      </label>
    </>
  );
}
