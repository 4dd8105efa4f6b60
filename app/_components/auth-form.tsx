"use client";

import { FieldError } from "./ui";

/** better-auth's email sign-in; it sets the session cookie on success. */
export function signInWithPassword(email: string, password: string): Promise<Response> {
  return fetch("/api/auth/sign-in/email", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
}

/** Whether this browser holds a session now: the cookie is httpOnly, so only the server can tell. */
export async function hasSession(): Promise<boolean> {
  const response = await fetch("/api/auth/get-session", { cache: "no-store" });
  return response.ok && (await response.json().catch(() => null)) !== null;
}

export function Field({
  label,
  problem,
  ...props
}: React.InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  /** what is wrong with the value, in a sentence under the field */
  problem?: string;
}) {
  return (
    <label className="block text-sm">
      <span className="mb-1 block font-medium text-slate-700">{label}</span>
      <input
        {...props}
        aria-invalid={problem ? true : undefined}
        className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-100"
      />
      {problem && <FieldError>{problem}</FieldError>}
    </label>
  );
}

export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle: string;
  children: React.ReactNode;
}) {
  return (
    <main className="grid min-h-screen place-items-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2 text-lg font-semibold">
          <span
            aria-hidden
            className="grid h-8 w-8 place-items-center rounded-md bg-brand-600 text-xs font-bold text-white"
          >
            DH
          </span>
          DataHaul
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-xl font-semibold">{title}</h1>
          <p className="mt-1 mb-5 text-sm text-slate-500">{subtitle}</p>
          {children}
        </div>
      </div>
    </main>
  );
}
