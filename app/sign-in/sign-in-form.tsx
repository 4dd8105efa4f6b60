"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { AuthCard, Field, signInWithPassword } from "../_components/auth-form";
import { Alert, Button } from "../_components/ui";

function Form() {
  const router = useRouter();
  const next = useSearchParams().get("next");
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const response = await signInWithPassword(
      String(form.get("email")),
      String(form.get("password")),
    );
    setBusy(false);
    if (!response.ok) {
      setError(
        response.status === 401
          ? "Wrong email or password."
          : "Could not sign in. Try again in a moment.",
      );
      return;
    }
    // only same-site paths, so a crafted link cannot send a user elsewhere after sign-in
    router.replace(next?.startsWith("/") && !next.startsWith("//") ? next : "/");
    router.refresh();
  }

  return (
    <AuthCard title="Sign in" subtitle="Use the account your admin gave you.">
      <form onSubmit={onSubmit} className="space-y-4">
        <Field label="Email" name="email" type="email" autoComplete="username" required autoFocus />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        {error && <Alert>{error}</Alert>}
        <Button variant="primary" type="submit" disabled={isBusy} className="w-full">
          {isBusy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </AuthCard>
  );
}

export function SignInForm() {
  return (
    <Suspense>
      <Form />
    </Suspense>
  );
}
