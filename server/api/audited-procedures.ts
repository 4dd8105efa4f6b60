import "server-only";
import { db } from "../db";

type TDescribe = (
  input: Record<string, unknown>,
  result: Record<string, unknown>,
) => string | Promise<string>;

/** a user by their email (and id, which stays when the email changes) */
const userOf = async (id: unknown) => {
  const user = await db.user.findUnique({ where: { id: String(id) }, select: { email: true } });
  return user ? `${user.email} (user ${String(id)})` : `user ${String(id)}`;
};

const list = (value: unknown) => (Array.isArray(value) ? value.length : 0);
const job = (result: Record<string, unknown>) =>
  result.jobId ? `job ${String(result.jobId)}` : "";
/** the names of a connector form's secrets that were typed (never their values) */
const secretNames = (input: Record<string, unknown>) => {
  const typed = Object.entries((input.secrets as Record<string, unknown>) ?? {})
    .filter(([, value]) => value !== "" && value !== undefined)
    .map(([name]) => name);
  const cleared = (input.clearSecrets as string[] | undefined) ?? [];
  return [
    typed.length ? `secrets set: ${typed.join(", ")}` : "",
    cleared.length ? `secrets cleared: ${cleared.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
};
/** "3 of 4 jobs (refused: job x: still running)" */
const bulk = (nouns: string, input: Record<string, unknown>, result: Record<string, unknown>) => {
  const refused = (result.refused as Array<{ id: string }> | undefined) ?? [];
  return joined(
    `${String(result.done)} of ${list(input.ids)} ${nouns}`,
    refused.length ? `not: ${refused.map((r) => r.id).join(", ")}` : "",
  );
};
const joined = (...parts: string[]) => parts.filter(Boolean).join(" · ");

/**
 * The changes the audit log records, by procedure, each with how it names what was changed
 * (ids, names, roles; never a secret's value). Only calls that succeeded are recorded.
 */
export const AUDITED_PROCEDURES: Record<string, TDescribe> = {
  "users.create": (input) => `${String(input.email)} as ${String(input.role)}`,
  "users.update": async (input) => `${await userOf(input.id)} as ${String(input.role)}`,
  "users.setDisabled": async (input) =>
    `${await userOf(input.id)} ${input.isDisabled ? "disabled" : "enabled"}`,
  "users.newPasswordLink": (input) => userOf(input.id),
  "users.saveSingleSignOn": (input) =>
    joined(
      input.isEnabled ? `on, issuer ${String(input.issuer)}` : "off",
      input.isEnabled && input.newUsers === "create"
        ? `new people added as ${String(input.defaultRole)}`
        : "",
      input.clientSecret ? "client secret set" : "",
    ),
  "connectors.save": (input, result) =>
    joined(
      `${String(input.name)} (${String(input.kind)}${input.id ? "" : ", new"})`,
      `connector ${String(result.id ?? input.id)}`,
      secretNames(input),
    ),
  "connectors.delete": (input) => `connector ${String(input.id)}`,
  "system.setRetentionDays": (input) => `${String(input.days)} days`,
  "system.deleteFinishedJob": (input) => `job ${String(input.jobId)}`,
  "system.setGettingStartedDismissed": (input) =>
    `getting-started checklist ${input.isDismissed ? "hidden" : "shown again"}`,
  "tokens.create": (input) => `${String(input.name)} (${String(input.scope)})`,
  "tokens.revoke": (input) => `token ${String(input.id)}`,
  "reports.save": (input, result) => `${String(input.name)} (report ${String(result.id)})`,
  "reports.delete": (input) => `${list(input.ids)} reports`,
  "reports.run": (input, result) => joined(`${list(input.reportIds)} reports`, job(result)),
  "schedules.save": (input, result) => `${String(input.name)} (schedule ${String(result.id)})`,
  "schedules.setEnabled": (input) =>
    `schedule ${String(input.id)} ${input.isEnabled ? "resumed" : "paused"}`,
  "schedules.delete": (input) => `schedule ${String(input.id)}`,
  "schedules.runNow": (input, result) => joined(`schedule ${String(input.id)}`, job(result)),
  "pipelines.save": (input, result) => `${String(input.name)} (pipeline ${String(result.id)})`,
  "pipelines.delete": (input) => `pipeline ${String(input.id)}`,
  "pipelines.run": (input, result) => joined(`pipeline ${String(input.id)}`, job(result)),
  "batches.create": (_input, result) => job(result),
  "batches.runAgain": (input, result) => `job ${String(input.jobId)} again as ${job(result)}`,
  "destinations.push": (input, result) =>
    joined(`to connector ${String(input.connectorId)}`, job(result)),
  "destinations.refresh": (input, result) =>
    joined(`connector ${String(input.connectorId)}`, job(result)),
  "tables.startExport": (_input, result) => job(result),
  "tables.delete": (input) => `table ${String(input.id)}`,
  "tables.deleteTransform": (input) => `transform ${String(input.id)}`,
  "jobs.delete": (input) => `job ${String(input.jobId)}`,
  "jobs.cancel": (input) => `job ${String(input.jobId)}`,
  "jobs.deleteMany": (input, result) => bulk("jobs", input, result),
  "jobs.retryMany": (input, result) => bulk("jobs", input, result),
  "schedules.setEnabledMany": (input, result) =>
    `${bulk("schedules", input, result)} ${input.isEnabled ? "resumed" : "paused"}`,
  "schedules.duplicate": (input, result) =>
    `schedule ${String(input.id)} copied as ${String(result.name)} (schedule ${String(result.id)})`,
  "reports.duplicate": (input, result) =>
    `report ${String(input.id)} copied as ${String(result.name)} (report ${String(result.id)})`,
};
