"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ROLE_DESCRIPTION, ROLE_LABEL, ROLES, type TRole } from "@/server/auth/access";
import type { TMailOutcome } from "@/server/services/accounts/account-mail";
import type { TUserView } from "@/server/services/accounts/users";
import { FieldProblem, fieldErrorsOf } from "../../_components/form-errors";
import { useTRPC } from "../../_components/trpc";
import { SingleSignOnCard } from "./single-sign-on-card";
import {
  Alert,
  Button,
  ButtonLink,
  Card,
  LoadProblem,
  Loading,
  PageTitle,
} from "../../_components/ui";

const INPUT = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** The people who use this DataHaul: their roles, their password links, disabling. Admins only. */
export function UsersPage({
  appOrigin,
  canEmail,
}: {
  appOrigin: string | null;
  /** a mail server is set (SMTP_URL): links can go by e-mail too */
  canEmail: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const me = useQuery(trpc.users.me.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  /** the link just made, for the person it was made for: shown until dismissed */
  const [link, setLink] = useState<TLink | null>(null);
  const [isAdding, setAdding] = useState(false);

  return (
    <div>
      <PageTitle
        title="Users"
        subtitle="Everyone who signs in to this DataHaul, and what their role lets them do."
        actions={
          <>
            <ButtonLink href="/audit">Audit log</ButtonLink>
            <Button variant="primary" onClick={() => setAdding(true)}>
              Add user
            </Button>
          </>
        }
      />
      {isAdding && (
        <AddUserCard
          canEmail={canEmail}
          onCancel={() => setAdding(false)}
          onAdded={(added) => {
            setAdding(false);
            setLink(added);
            void refresh();
          }}
        />
      )}
      {link && <LinkCard {...link} onDone={() => setLink(null)} />}
      <Card padding="none">
        {users.isPending ? (
          <div className="p-4">
            <Loading>Loading users…</Loading>
          </div>
        ) : users.isError ? (
          <div className="p-4">
            <LoadProblem>{users.error.message}</LoadProblem>
          </div>
        ) : (
          <ul className="divide-y divide-slate-100" data-testid="users">
            {users.data.map((user) => (
              <UserRow
                key={user.id}
                user={user}
                isMe={user.id === me.data?.id}
                onChanged={() => void refresh()}
                canEmail={canEmail}
                onLink={(path, mail) => setLink({ name: user.name, path, mail })}
              />
            ))}
          </ul>
        )}
      </Card>
      <RolesHelp />
      <SingleSignOnCard appOrigin={appOrigin} />
    </div>
  );
}

type TLink = { name: string; path: string; mail: TMailOutcome | null };

function AddUserCard({
  canEmail,
  onAdded,
  onCancel,
}: {
  canEmail: boolean;
  onAdded: (link: TLink) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const [role, setRole] = useState<TRole>("operator");
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: ({ user, linkPath, mail }) => onAdded({ name: user.name, path: linkPath, mail }),
    }),
  );
  const problems = fieldErrorsOf(create.error);
  return (
    <Card className="mb-5">
      <h2 className="text-base font-semibold">Add a user</h2>
      <p className="mt-1 text-sm text-slate-600">
        {canEmail
          ? "They get a one-time link by e-mail to set their own password with; you see the link too."
          : "You get a one-time link to give them: they set their own password with it. No mail server is needed (set SMTP_URL to e-mail it)."}
      </p>
      <form
        className="mt-3 grid gap-3 sm:grid-cols-3"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          create.mutate({
            name: String(form.get("name")),
            email: String(form.get("email")),
            role,
            sendEmail: form.get("sendEmail") === "on",
          });
        }}
      >
        <label className="text-sm font-medium">
          Name
          <input name="name" required autoFocus className={INPUT} autoComplete="off" />
          <FieldProblem errors={problems} path="name" />
        </label>
        <label className="text-sm font-medium">
          Email
          <input name="email" type="email" required className={INPUT} autoComplete="off" />
          <FieldProblem errors={problems} path="email" />
        </label>
        <div className="text-sm font-medium">
          <label>
            Role
            <select
              className={INPUT}
              value={role}
              aria-describedby="new-user-role-help"
              onChange={(event) => setRole(event.target.value as TRole)}
            >
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {ROLE_LABEL[value]}
                </option>
              ))}
            </select>
          </label>
          <span id="new-user-role-help" className="mt-1 block text-xs font-normal text-slate-500">
            {ROLE_DESCRIPTION[role]}
          </span>
        </div>
        {canEmail && (
          <label className="flex items-center gap-2 text-sm sm:col-span-3">
            <input type="checkbox" name="sendEmail" defaultChecked />
            E-mail the link to them
          </label>
        )}
        {create.error && !Object.keys(problems).length && (
          <div className="sm:col-span-3">
            <Alert>{create.error.message}</Alert>
          </div>
        )}
        <div className="flex gap-2 sm:col-span-3">
          <Button variant="primary" type="submit" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add user and make a link"}
          </Button>
          <Button type="button" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

function LinkCard({ name, path, mail, onDone }: TLink & { onDone: () => void }) {
  const url = `${window.location.origin}${path}`;
  const [isCopied, setCopied] = useState(false);
  return (
    <div className="mb-5" data-testid="password-link">
      {mail && (
        <div className="mb-2">
          <Alert tone={mail.isSent ? "success" : "error"}>{mail.text}</Alert>
        </div>
      )}
      <Alert tone="success">
        Give this link to {name}: they set their password with it. It works once, for 7 days, and is
        not shown again.
        <span className="mt-2 flex flex-wrap items-center gap-2">
          <code className="min-w-0 flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900">
            {url}
          </code>
          <Button
            type="button"
            onClick={() =>
              void navigator.clipboard
                ?.writeText(url)
                .then(() => setCopied(true))
                .catch(() => setCopied(false))
            }
          >
            {isCopied ? "Copied" : "Copy"}
          </Button>
          <Button type="button" onClick={onDone}>
            Done
          </Button>
        </span>
      </Alert>
    </div>
  );
}

function UserRow({
  user,
  isMe,
  canEmail,
  onChanged,
  onLink,
}: {
  user: TUserView;
  isMe: boolean;
  canEmail: boolean;
  onChanged: () => void;
  onLink: (path: string, mail: TMailOutcome | null) => void;
}) {
  const trpc = useTRPC();
  const update = useMutation(trpc.users.update.mutationOptions({ onSettled: onChanged }));
  const disable = useMutation(trpc.users.setDisabled.mutationOptions({ onSettled: onChanged }));
  const newLink = useMutation(
    trpc.users.newPasswordLink.mutationOptions({
      onSuccess: ({ linkPath, mail }) => onLink(linkPath, mail),
      onSettled: onChanged,
    }),
  );
  const error = update.error ?? disable.error ?? newLink.error;
  const status = user.disabledAt
    ? `disabled ${new Date(user.disabledAt).toLocaleDateString()}`
    : !user.hasPassword
      ? user.hasOpenLink
        ? "invited: has not set a password yet"
        : "no password yet, and the link expired"
      : user.lastSeenAt
        ? `last active ${new Date(user.lastSeenAt).toLocaleString()}`
        : "has not signed in yet";
  return (
    <li
      className={`flex flex-wrap items-center gap-3 px-4 py-3 text-sm ${user.disabledAt ? "bg-slate-50 text-slate-500" : ""}`}
      data-testid="user-row"
    >
      <div className="min-w-0 flex-1 [overflow-wrap:anywhere]">
        <span className="font-medium">{user.name}</span>
        {isMe && <span className="ml-1 text-xs text-slate-500">(you)</span>}
        <p className="text-xs text-slate-500">
          {user.email} · {status}
        </p>
        {error && (
          <div className="mt-2">
            <Alert>{error.message}</Alert>
          </div>
        )}
      </div>
      <label className="text-xs text-slate-600">
        <span className="sr-only">Role of {user.name}</span>
        <select
          className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          value={user.role}
          disabled={update.isPending}
          onChange={(event) =>
            update.mutate({ id: user.id, name: user.name, role: event.target.value as TRole })
          }
        >
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {ROLE_LABEL[value]}
            </option>
          ))}
        </select>
      </label>
      {!user.disabledAt && (
        <Button
          type="button"
          disabled={newLink.isPending}
          onClick={() => newLink.mutate({ id: user.id, sendEmail: canEmail })}
        >
          {user.hasPassword ? "Password reset link" : "New invitation link"}
        </Button>
      )}
      {!isMe && (
        <Button
          type="button"
          variant={user.disabledAt ? "secondary" : "danger"}
          disabled={disable.isPending}
          onClick={() => disable.mutate({ id: user.id, isDisabled: !user.disabledAt })}
        >
          {user.disabledAt ? "Enable" : "Disable"}
        </Button>
      )}
    </li>
  );
}

function RolesHelp() {
  return (
    <Card className="mt-5">
      <h2 className="text-base font-semibold">Roles</h2>
      <dl className="mt-2 grid gap-2 text-sm sm:grid-cols-3">
        {ROLES.map((role) => (
          <div key={role}>
            <dt className="font-medium">{ROLE_LABEL[role]}</dt>
            <dd className="text-slate-600">{ROLE_DESCRIPTION[role]}.</dd>
          </div>
        ))}
      </dl>
      <p className="mt-3 text-xs text-slate-500">
        Disabling someone signs them out at once and stops their API tokens. A role change applies
        to their next click, and to their tokens too: a token never does more than its owner.
      </p>
    </Card>
  );
}
