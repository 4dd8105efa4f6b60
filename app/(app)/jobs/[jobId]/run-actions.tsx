"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useFeedback } from "../../../_components/feedback";
import { useTRPC } from "../../../_components/trpc";
import { Alert, Button } from "../../../_components/ui";
import { useCan } from "../../../_components/role";

/**
 * Retry, cancel and delete for a job whose page shows all of it at once (a report run, an
 * export): `what` names its items ("reports", "files") and the job ("run", "export").
 */
export function RunActions(props: {
  jobId: string;
  isFinal: boolean;
  isPaused: boolean;
  /** failed and cancelled items: what a retry takes */
  unfinished: number;
  items: string;
  noun: string;
  /** the stream ended with the job; the retried job is followed again */
  onRetried: () => void;
}) {
  const { confirm } = useFeedback();
  const { jobId, isFinal, isPaused, unfinished, items, noun } = props;
  const trpc = useTRPC();
  const canRun = useCan("run");
  const router = useRouter();
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions());
  const retry = useMutation(trpc.jobs.retryFailed.mutationOptions({ onSuccess: props.onRetried }));
  const remove = useMutation(
    trpc.jobs.delete.mutationOptions({ onSuccess: () => router.push("/jobs") }),
  );
  const actionError = cancel.error ?? retry.error ?? remove.error;
  if (!canRun) return null;
  return (
    <>
      <div className="mt-4 flex flex-wrap gap-2 border-t border-slate-100 pt-4">
        <Button
          onClick={() => retry.mutate({ jobId })}
          disabled={retry.isPending || (!isPaused && (!isFinal || unfinished === 0))}
        >
          {isPaused ? "Retry now" : `Retry failed ${items}`}
          {!isPaused && unfinished > 0 ? ` (${unfinished})` : ""}
        </Button>
        <Button
          variant="danger"
          onClick={() => cancel.mutate({ jobId })}
          disabled={isFinal || cancel.isPending}
        >
          Cancel {noun}
        </Button>
        <Button
          variant="danger"
          className="ml-auto"
          disabled={remove.isPending}
          onClick={() =>
            void confirm({
              title: `Delete this ${noun} and its files?`,
              body: "Files another job also uses are kept.",
              confirmLabel: `Delete ${noun}`,
            }).then((isYes) => isYes && remove.mutate({ jobId }))
          }
        >
          Delete {noun}
        </Button>
      </div>
      {actionError && (
        <div className="mt-3">
          <Alert>{actionError.message}</Alert>
        </div>
      )}
    </>
  );
}
