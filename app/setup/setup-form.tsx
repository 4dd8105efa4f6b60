"use client";

import { useState } from "react";
import { AuthCard, Field, signInWithPassword } from "../_components/auth-form";
import type { TFieldErrors } from "../_components/form-errors";
import { Alert, Button } from "../_components/ui";

export function SetupForm() {
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [isBusy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    const response = await fetch("/api/trpc/setup.createAdmin", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { name: form.get("name"), email, password } }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const byField: TFieldErrors | undefined = body?.error?.json?.data?.fieldErrors;
      setFieldErrors(byField ?? {});
      setError(body?.error?.json?.message ?? "Could not create the account.");
      setBusy(false);
      return;
    }
    await signInWithPassword(email, password);
    // a full load, not router.replace + refresh: those two raced, and the dashboard could show
    // under the /setup address; a new document also starts with the signed-in session and its nonce
    window.location.replace("/");
  }

  return (
    <AuthCard
      title="Create the admin account"
      subtitle="This page is shown once, on the first run. It closes itself when the account exists."
    >
      <form onSubmit={onSubmit} className="space-y-4">
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          autoFocus
          problem={fieldErrors.name}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          problem={fieldErrors.email}
        />
        <Field
          label="Password (at least 10 characters)"
          problem={fieldErrors.password}
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
        />
        {error && <Alert>{error}</Alert>}
        <Button variant="primary" type="submit" disabled={isBusy} className="w-full">
          {isBusy ? "Creating…" : "Create account and sign in"}
        </Button>
      </form>
    </AuthCard>
  );
}
