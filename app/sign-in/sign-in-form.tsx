"use client";

import { useSearchParams } from "next/navigation";
import { Suspense, useState, useSyncExternalStore } from "react";
import { AuthCard, Field, hasSession, signInWithPassword } from "../_components/auth-form";
import { safeNextPath } from "../_components/safe-next-path";
import { ssoRefusalMessage } from "@/server/auth/sso-refusals";
import { Alert, Button } from "../_components/ui";

type TProps = {
  /** APP_URL's origin: sign-in works only there (cookies and the origin check follow it) */
  appOrigin: string | null;
  /** the button to the team's OpenID Connect provider, when an admin set one up */
  singleSignOn: { label: string } | null;
};

function Form({ appOrigin, singleSignOn }: TProps) {
  const searchParams = useSearchParams();
  const next = searchParams.get("next");
  const [error, setError] = useState<string | null>(() =>
    ssoRefusalMessage(searchParams.get("sso_error")),
  );
  const [isBusy, setBusy] = useState(false);
  // the browser's own address: the server cannot know which one was used
  const pageOrigin = useSyncExternalStore(
    subscribeToNothing,
    () => window.location.origin,
    () => null,
  );
  const isElsewhere = appOrigin !== null && pageOrigin !== null && pageOrigin !== appOrigin;

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const response = await signInWithPassword(
      String(form.get("email")),
      String(form.get("password")),
    );
    if (!response.ok) {
      setBusy(false);
      setError(await signInRefusal(response, isElsewhere ? appOrigin : null));
      return;
    }
    // the answer was yes, but a browser silently drops a cookie it may not keep (a Secure cookie
    // on plain http://, cookies blocked): ask the server whether this browser is signed in now
    if (!(await hasSession())) {
      setBusy(false);
      setError(
        window.location.protocol === "http:"
          ? "Your password was accepted, but the browser refused the sign-in cookie, so you are still signed out: the app sends it for https:// only, and this page was opened over http://. Open the app at its https:// address (or ask your admin to set APP_URL to the address you use)."
          : "Your password was accepted, but the browser refused the sign-in cookie, so you are still signed out. Allow cookies for this site and sign in again.",
      );
      return;
    }
    // a full load (see the setup form): the signed-in pages start from a fresh document
    window.location.replace(safeNextPath(next, window.location.origin));
  }

  return (
    <AuthCard title="Sign in" subtitle="Use the account your admin gave you.">
      <form onSubmit={onSubmit} className="space-y-4">
        {isElsewhere && (
          <Alert tone="info">
            This page was opened at {pageOrigin}, but the app&apos;s address is {appOrigin}{" "}
            (APP_URL), and sign-in works only there:{" "}
            <a className="font-medium underline" href={`${appOrigin}/sign-in`}>
              open {appOrigin}
            </a>
            .
          </Alert>
        )}
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
      {singleSignOn && (
        <>
          <p className="my-4 flex items-center gap-3 text-xs text-slate-500 before:h-px before:flex-1 before:bg-slate-200 after:h-px after:flex-1 after:bg-slate-200">
            or
          </p>
          <a
            href={`/api/auth/sso/start${next ? `?next=${encodeURIComponent(next)}` : ""}`}
            className="inline-flex w-full items-center justify-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            {singleSignOn.label}
          </a>
        </>
      )}
    </AuthCard>
  );
}

const subscribeToNothing = () => () => {};

async function signInRefusal(response: Response, appOrigin: string | null): Promise<string> {
  if (response.status === 401) return "Wrong email or password.";
  if (response.status === 403) {
    const body = (await response.json().catch(() => null)) as { code?: string; message?: string };
    if (body?.code === "ACCOUNT_DISABLED" && body.message) return body.message;
  }
  if (response.status === 429) {
    const seconds = Number(response.headers.get("x-retry-after"));
    return `Too many sign-in attempts from your address. Try again in a moment${seconds > 0 ? ` (${seconds} s)` : ""}.`;
  }
  if (response.status === 403 && appOrigin)
    return `Sign-in is refused at this address: open the app at ${appOrigin}.`;
  return "Could not sign in. Try again in a moment.";
}

export function SignInForm(props: TProps) {
  return (
    <Suspense>
      <Form {...props} />
    </Suspense>
  );
}
