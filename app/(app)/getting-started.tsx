"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { TGettingStartedStepId } from "@/server/services/system/getting-started";
import type { TGlossaryTerm } from "../_components/glossary";
import { Term } from "../_components/term";
import { useTRPC } from "../_components/trpc";
import { Alert, Button, Card } from "../_components/ui";

/** The steps whose name is itself a word of the trade get its explanation beside them. */
const STEP_TERMS: Partial<Record<TGettingStartedStepId, TGlossaryTerm>> = {
  connector: "connector",
  destination: "destination",
};

/**
 * The first-run checklist: what a new app still needs, each step linked to the page that does it.
 * Only the steps the user's role can do; gone once they are done or the user hides it.
 */
export function GettingStarted() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const checklist = useQuery(trpc.system.gettingStarted.queryOptions());
  const dismiss = useMutation(
    trpc.system.setGettingStartedDismissed.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.system.gettingStarted.queryKey() }),
    }),
  );
  // while loading or when it cannot load, nothing: the checklist is a help, not the page's content
  if (!checklist.data?.isShown) return null;
  const { steps } = checklist.data;
  const doneCount = steps.filter((step) => step.isDone).length;

  return (
    <Card className="mb-5">
      <section aria-labelledby="getting-started-title" data-testid="getting-started">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <div>
            <h2 id="getting-started-title" className="font-semibold">
              Get started
            </h2>
            <p className="text-sm text-slate-600">
              {doneCount} of {steps.length} done
            </p>
          </div>
          <Button
            type="button"
            onClick={() => dismiss.mutate({ isDismissed: true })}
            disabled={dismiss.isPending}
          >
            Hide this checklist
          </Button>
        </div>
        <ol className="mt-3 divide-y divide-slate-100 text-sm">
          {steps.map((step) => {
            const term = STEP_TERMS[step.id];
            return (
              <li
                key={step.id}
                className="flex items-start gap-3 py-2"
                data-testid="getting-started-step"
              >
                {/* no transparent tick for an open step: axe would check its contrast */}
                <span
                  aria-hidden="true"
                  className={`mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full border text-xs ${step.isDone ? "border-emerald-700 bg-emerald-700 text-white" : "border-slate-400"}`}
                >
                  {step.isDone ? "✓" : ""}
                </span>
                <div className="min-w-0">
                  <Link
                    href={step.href}
                    className={`font-medium hover:underline ${step.isDone ? "text-slate-600" : "text-brand-700"}`}
                  >
                    {step.title}
                  </Link>
                  <span className="sr-only">{step.isDone ? " (done)" : " (not done yet)"}</span>
                  {step.isOptional && <span className="ml-1 text-xs text-slate-600">optional</span>}
                  {term && <Term name={term} />}
                  <p className="text-slate-600">{step.detail}</p>
                </div>
              </li>
            );
          })}
        </ol>
        {dismiss.error && (
          <div className="mt-2">
            <Alert>{dismiss.error.message}</Alert>
          </div>
        )}
      </section>
    </Card>
  );
}
