"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import { Button } from "./ui";

type TConfirmRequest = {
  title: string;
  body?: React.ReactNode;
  /** the button that goes ahead: say what it does ("Delete 3 jobs"), never just "OK" */
  confirmLabel: string;
  tone?: "danger" | "primary";
};

type TToast = { id: number; text: string; tone: "success" | "error" | "info" };

type TFeedback = {
  confirm(request: TConfirmRequest): Promise<boolean>;
  toast(text: string, tone?: TToast["tone"]): void;
};

const FeedbackContext = createContext<TFeedback | null>(null);
const TOAST_MS = 6_000;

/**
 * In-page confirmations and toasts instead of the browser's confirm() and alert(): they carry the
 * app's words and buttons, a screen reader hears them, and a test can answer them like a person.
 */
export function FeedbackProvider({ children }: { children: React.ReactNode }) {
  const [request, setRequest] = useState<TConfirmRequest | null>(null);
  const answer = useRef<((isYes: boolean) => void) | null>(null);
  const [toasts, setToasts] = useState<TToast[]>([]);
  const nextId = useRef(1);

  const confirm = useCallback((next: TConfirmRequest) => {
    answer.current?.(false);
    setRequest(next);
    return new Promise<boolean>((resolve) => {
      answer.current = resolve;
    });
  }, []);
  const toast = useCallback((text: string, tone: TToast["tone"] = "success") => {
    const id = nextId.current++;
    setToasts((shown) => [...shown.slice(-3), { id, text, tone }]);
    window.setTimeout(() => setToasts((shown) => shown.filter((t) => t.id !== id)), TOAST_MS);
  }, []);
  const settle = (isYes: boolean) => {
    answer.current?.(isYes);
    answer.current = null;
    setRequest(null);
  };

  return (
    <FeedbackContext.Provider value={{ confirm, toast }}>
      {children}
      {request && <ConfirmDialog request={request} onAnswer={settle} />}
      <div
        aria-live="polite"
        className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:items-end"
      >
        {toasts.map((t) => (
          <div
            key={t.id}
            role={t.tone === "error" ? "alert" : "status"}
            data-testid="toast"
            className={`pointer-events-auto flex max-w-md items-start gap-3 rounded-lg border px-4 py-3 text-sm shadow-lg ${TOAST_STYLE[t.tone]}`}
          >
            <span className="min-w-0 flex-1 [overflow-wrap:anywhere]">{t.text}</span>
            <button
              type="button"
              aria-label="Dismiss"
              className="-mr-1 rounded px-1 leading-none opacity-70 hover:opacity-100"
              onClick={() => setToasts((shown) => shown.filter((s) => s.id !== t.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </FeedbackContext.Provider>
  );
}

const TOAST_STYLE = {
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
  error: "border-red-200 bg-red-50 text-red-900",
  info: "border-slate-200 bg-white text-slate-900",
};

function ConfirmDialog({
  request,
  onAnswer,
}: {
  request: TConfirmRequest;
  onAnswer: (isYes: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    // showModal: the page behind is inert, focus stays inside, Escape cancels
    dialog.current?.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      aria-describedby={request.body ? "confirm-body" : undefined}
      role="alertdialog"
      onCancel={(event) => {
        event.preventDefault();
        onAnswer(false);
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-slate-200 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-black/50"
    >
      <h2 id="confirm-title" className="text-base font-semibold">
        {request.title}
      </h2>
      {request.body && (
        <div id="confirm-body" className="mt-2 text-sm text-slate-600">
          {request.body}
        </div>
      )}
      <div className="mt-5 flex justify-end gap-2">
        <Button type="button" autoFocus onClick={() => onAnswer(false)}>
          Cancel
        </Button>
        <Button
          type="button"
          variant={request.tone === "primary" ? "primary" : "danger"}
          onClick={() => onAnswer(true)}
        >
          {request.confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export function useFeedback(): TFeedback {
  const feedback = useContext(FeedbackContext);
  if (!feedback) throw new Error("useFeedback needs a FeedbackProvider above it");
  return feedback;
}
