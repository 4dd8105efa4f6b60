"use client";

import { useEffect, useRef, useState } from "react";
import { AuthCard, Field, signInWithPassword } from "../_components/auth-form";
import type { TFieldErrors } from "../_components/form-errors";
import { Alert, Button, Loading } from "../_components/ui";

type TLink =
  | { state: "reading" }
  | { state: "bad"; message: string }
  | { state: "ok"; name: string; email: string };

async function callSetup(procedure: string, input: unknown, method: "GET" | "POST") {
  const body = JSON.stringify({ json: input });
  const response =
    method === "GET"
      ? await fetch(`/api/trpc/setup.${procedure}?input=${encodeURIComponent(body)}`)
      : await fetch(`/api/trpc/setup.${procedure}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
  const answer = await response.json().catch(() => null);
  return response.ok
    ? { ok: true as const, data: answer?.result?.data?.json }
    : {
        ok: false as const,
        message: (answer?.error?.json?.message as string) ?? "Something went wrong. Try again.",
        fieldErrors: (answer?.error?.json?.data?.fieldErrors as TFieldErrors) ?? {},
      };
}

async function describeLink(token: string): Promise<TLink> {
  if (!token)
    return { state: "bad", message: "This page needs the whole link your admin gave you." };
  const answer = await callSetup("describePasswordLink", { token }, "GET");
  return answer.ok ? { state: "ok", ...answer.data } : { state: "bad", message: answer.message };
}

export function SetPasswordForm() {
  const token = useRef<string | null>(null);
  const [link, setLink] = useState<TLink>({ state: "reading" });
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [isBusy, setBusy] = useState(false);

  useEffect(() => {
    const fromAddress = window.location.hash.slice(1);
    // out of the address bar and the history, so the link is not left lying around
    window.history.replaceState(null, "", window.location.pathname);
    token.current = fromAddress;
    void describeLink(fromAddress).then(setLink);
  }, []);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (link.state !== "ok" || !token.current) return;
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password"));
    setError(null);
    setFieldErrors({});
    if (password !== String(form.get("again"))) {
      setFieldErrors({ again: "The two passwords differ." });
      return;
    }
    setBusy(true);
    const answer = await callSetup("setPassword", { token: token.current, password }, "POST");
    if (!answer.ok) {
      setBusy(false);
      setFieldErrors(answer.fieldErrors);
      setError(answer.message);
      return;
    }
    const signedIn = await signInWithPassword(link.email, password);
    window.location.replace(signedIn.ok ? "/" : "/sign-in");
  }

  return (
    <AuthCard
      title="Set your password"
      subtitle={
        link.state === "ok"
          ? `For ${link.name} (${link.email}). The link works once.`
          : "With the link your admin gave you."
      }
    >
      {link.state === "reading" && <Loading>Reading the link…</Loading>}
      {link.state === "bad" && (
        <Alert>
          {link.message}{" "}
          <a href="/sign-in" className="underline">
            Sign in
          </a>
        </Alert>
      )}
      {link.state === "ok" && (
        <form onSubmit={onSubmit} className="space-y-4">
          <input type="hidden" name="username" autoComplete="username" value={link.email} />
          <Field
            label="New password (at least 10 characters)"
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            autoFocus
            problem={fieldErrors.password}
          />
          <Field
            label="The same password again"
            name="again"
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            problem={fieldErrors.again}
          />
          {error && <Alert>{error}</Alert>}
          <Button variant="primary" type="submit" disabled={isBusy} className="w-full">
            {isBusy ? "Saving…" : "Set password and sign in"}
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
