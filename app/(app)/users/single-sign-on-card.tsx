"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, useSyncExternalStore } from "react";
import { ROLE_LABEL } from "@/server/auth/access";
import { SSO_NEW_USER_ROLES } from "@/server/auth/sso-refusals";
import type { TSingleSignOnView } from "@/server/services/accounts/single-sign-on";
import { FieldProblem, fieldErrorsOf } from "../../_components/form-errors";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, Card, LoadProblem, Loading } from "../../_components/ui";

const INPUT = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
const HELP = "mt-1 block text-xs font-normal text-slate-500";

/** Sign-in through the team's OpenID Connect provider (Google Workspace, Entra ID, Keycloak…). */
export function SingleSignOnCard({ appOrigin }: { appOrigin: string | null }) {
  const trpc = useTRPC();
  const settings = useQuery(trpc.users.singleSignOn.queryOptions());
  // outside the form, which starts afresh from each saved version
  const [isSaved, setSaved] = useState(false);
  return (
    <Card className="mt-5">
      <h2 className="text-base font-semibold">Single sign-on</h2>
      <p className="mt-1 text-sm text-slate-600">
        Let people sign in with your OpenID Connect provider: Google Workspace, Microsoft Entra ID,
        Keycloak, Authentik, Okta. A person is matched by the email address the provider has
        verified. Passwords keep working alongside.
      </p>
      {settings.isPending ? (
        <Loading>Loading the settings…</Loading>
      ) : settings.isError ? (
        <LoadProblem>{settings.error.message}</LoadProblem>
      ) : (
        <SingleSignOnForm
          key={JSON.stringify(settings.data)}
          saved={settings.data}
          appOrigin={appOrigin}
          isSaved={isSaved}
          setSaved={setSaved}
        />
      )}
    </Card>
  );
}

function SingleSignOnForm({
  saved,
  appOrigin,
  isSaved,
  setSaved,
}: {
  saved: TSingleSignOnView;
  appOrigin: string | null;
  isSaved: boolean;
  setSaved: (isSaved: boolean) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [newUsers, setNewUsers] = useState(saved.newUsers);
  const save = useMutation(
    trpc.users.saveSingleSignOn.mutationOptions({
      onSuccess: (view) => {
        queryClient.setQueryData(trpc.users.singleSignOn.queryKey(), view);
        setSaved(true);
      },
    }),
  );
  const problems = fieldErrorsOf(save.error);
  const pageOrigin = useSyncExternalStore(
    subscribeToNothing,
    () => window.location.origin,
    () => "",
  );
  const redirectUri = `${appOrigin ?? pageOrigin}/api/auth/sso/callback`;
  return (
    <form
      className="mt-3 grid gap-3 sm:grid-cols-2"
      onSubmit={(event) => {
        event.preventDefault();
        setSaved(false);
        const form = new FormData(event.currentTarget);
        save.mutate({
          isEnabled: form.get("isEnabled") === "on",
          issuer: String(form.get("issuer")),
          clientId: String(form.get("clientId")),
          clientSecret: String(form.get("clientSecret")),
          buttonLabel: String(form.get("buttonLabel")),
          newUsers,
          defaultRole: String(form.get("defaultRole")) as TSingleSignOnView["defaultRole"],
        });
      }}
    >
      <div className="text-sm sm:col-span-2">
        <span className="font-medium">Redirect URI</span>
        <span className={HELP}>
          Register this address with your provider as the app&apos;s redirect (callback) URI:
        </span>
        <code
          className="mt-1 block break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs"
          data-testid="sso-redirect-uri"
        >
          {redirectUri}
        </code>
        {!appOrigin && (
          <span className={HELP}>
            It follows the address this page was opened at; set APP_URL to pin it.
          </span>
        )}
      </div>
      <label className="text-sm font-medium">
        Issuer
        <input
          name="issuer"
          defaultValue={saved.issuer}
          placeholder="https://accounts.google.com"
          className={INPUT}
          autoComplete="off"
          aria-describedby="sso-issuer-help"
        />
        <span id="sso-issuer-help" className={HELP}>
          Entra ID: https://login.microsoftonline.com/&lt;tenant&gt;/v2.0 · Keycloak:
          https://host/realms/&lt;realm&gt;
        </span>
        <FieldProblem errors={problems} path="issuer" />
      </label>
      <label className="text-sm font-medium">
        Client ID
        <input name="clientId" defaultValue={saved.clientId} className={INPUT} autoComplete="off" />
        <FieldProblem errors={problems} path="clientId" />
      </label>
      <label className="text-sm font-medium">
        Client secret
        <input
          name="clientSecret"
          type="password"
          className={INPUT}
          autoComplete="new-password"
          placeholder={saved.hasClientSecret ? "saved; type to replace" : ""}
        />
        <FieldProblem errors={problems} path="clientSecret" />
      </label>
      <label className="text-sm font-medium">
        Button text
        <input
          name="buttonLabel"
          defaultValue={saved.buttonLabel}
          placeholder="Sign in with single sign-on"
          className={INPUT}
          autoComplete="off"
        />
      </label>
      <fieldset className="text-sm sm:col-span-2">
        <legend className="font-medium">
          People the provider signs in who have no account here
        </legend>
        <div className="mt-1 flex flex-wrap items-center gap-x-5 gap-y-2">
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="newUsers"
              checked={newUsers === "refuse"}
              onChange={() => setNewUsers("refuse")}
            />
            Refuse them (add people on this page first)
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="newUsers"
              checked={newUsers === "create"}
              onChange={() => setNewUsers("create")}
            />
            Add them as
          </label>
          <label>
            <span className="sr-only">Role for people added by single sign-on</span>
            <select
              name="defaultRole"
              defaultValue={saved.defaultRole}
              disabled={newUsers !== "create"}
              className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            >
              {SSO_NEW_USER_ROLES.map((role) => (
                <option key={role} value={role}>
                  {ROLE_LABEL[role]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <span className={HELP}>
          Anyone your provider lets in could sign in here: restrict who may use the app at the
          provider (an app assignment or group) before you add people automatically.
        </span>
      </fieldset>
      <label className="flex items-center gap-2 text-sm font-medium sm:col-span-2">
        <input type="checkbox" name="isEnabled" defaultChecked={saved.isEnabled} />
        Show &quot;{saved.buttonLabel || "Sign in with single sign-on"}&quot; on the sign-in page
      </label>
      {save.error && (
        <div className="sm:col-span-2">
          <Alert>{save.error.message}</Alert>
        </div>
      )}
      {isSaved && (
        <div className="sm:col-span-2">
          <Alert tone="success">
            Saved.{" "}
            {saved.isEnabled
              ? "The provider answered; the sign-in page shows its button."
              : "Single sign-on is off."}
          </Alert>
        </div>
      )}
      <div className="sm:col-span-2">
        <Button variant="primary" type="submit" disabled={save.isPending}>
          {save.isPending ? "Checking the provider…" : "Save single sign-on"}
        </Button>
      </div>
    </form>
  );
}

const subscribeToNothing = () => () => {};
