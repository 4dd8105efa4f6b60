import "server-only";
import {
  AUTHORSHIP_INCLUDE,
  authoredBy,
  authorshipOf,
  type TAuthorship,
} from "../accounts/authorship";
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  CONNECTOR_KINDS,
  ConnectorError,
  connectorKind,
  createSessionCache,
  isSourceKind,
  type TConnection,
  type TConnectorContext,
} from "@/server/connectors";
import type { TDestinationRole } from "@/server/connectors/types";
import { addressOrigin } from "@/server/connectors/address-origin";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { fieldErrorsOf, formProblemMessage } from "@/server/field-errors";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { inSentence } from "@/server/forms/schema-fields";

export const ZConnectorInput = z.object({
  id: z.uuid().optional(),
  name: z.string().trim().min(1, "Give the connector a name.").max(100),
  kind: z.enum(CONNECTOR_KINDS),
  baseUrl: z
    .string()
    .trim()
    .refine(
      (v) => v === "" || /^https?:\/\/[^\s]+$/i.test(v),
      "The address must start with http:// or https://.",
    ),
  settings: z.record(z.string(), z.unknown()).default({}),
  /** write-only: a non-empty value replaces the stored one, an absent one keeps it */
  secrets: z.record(z.string(), z.string()).default({}),
  /** secret fields to remove */
  clearSecrets: z.array(z.string()).default([]),
});
export type TConnectorInput = z.input<typeof ZConnectorInput>;

/** What the browser may see of a connector: settings, and for each secret only whether it is set. */
export type TConnectorView = TAuthorship & {
  id: string;
  name: string;
  kind: string;
  kindLabel: string;
  baseUrl: string;
  settings: Record<string, unknown>;
  secretsSet: Record<string, boolean>;
  reportCount: number;
  updatedAt: Date;
  lastCheckedAt: Date | null;
  lastCheckOk: boolean | null;
  lastCheckMessage: string | null;
  /** reports can read from it */
  isSource: boolean;
  /** what it does with data it is given; null for a source only */
  destination: TDestinationRole | null;
  /** what its kind can do besides fetching: list what it reaches, describe a report's parameters */
  canBrowse: boolean;
  canDescribeParameters: boolean;
};

function schemaShape(schema: z.ZodType<unknown>): Record<string, z.ZodType> {
  return (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
}

function secretFieldNames(kind: string): string[] {
  return Object.keys(schemaShape(connectorKind(kind).secretsSchema));
}

/** A field's label inside a sentence: its schema's title, else its name. */
function fieldLabel(schema: z.ZodType<unknown>, field: string): string {
  return inSentence(schemaShape(schema)[field]?.meta()?.title ?? field);
}

/**
 * Every address a connector's credentials are sent to, as origins: its base URL and each setting
 * its kind marks as a credential address (Salesforce's login URL, a URL's test URL).
 */
function credentialAddresses(
  kind: string,
  baseUrl: string,
  settings: Record<string, unknown>,
): { label: string; origin: string | null }[] {
  const shape = schemaShape(connectorKind(kind).settingsSchema);
  return [
    { label: "address", origin: addressOrigin(baseUrl) },
    ...Object.entries(shape)
      .filter(([, schema]) => schema.meta()?.isCredentialAddress === true)
      .map(([field, schema]) => ({
        label: inSentence(schema.meta()?.title ?? field),
        origin: addressOrigin(baseUrl, String(settings[field] ?? "")),
      })),
  ];
}

/**
 * Saved secrets go only to the addresses they were entered for: when an edit points one of them at
 * another origin, each stored secret must be typed again in the same save, or cleared.
 */
function assertSecretsFollowAddresses(args: {
  kind: string;
  before: { baseUrl: string; settings: Record<string, unknown> };
  after: { baseUrl: string; settings: Record<string, unknown> };
  stored: Record<string, string>;
  input: { secrets: Record<string, string>; clearSecrets: string[] };
}): void {
  const now = credentialAddresses(args.kind, args.after.baseUrl, args.after.settings);
  const moves = credentialAddresses(args.kind, args.before.baseUrl, args.before.settings).flatMap(
    (was, i) =>
      was.origin === now[i]!.origin
        ? []
        : [`the ${was.label} changed from ${was.origin ?? "none"} to ${now[i]!.origin ?? "none"}`],
  );
  if (moves.length === 0) return;
  const secretsSchema = connectorKind(args.kind).secretsSchema;
  const kept = secretFieldNames(args.kind).filter(
    (field) =>
      args.stored[field] && !args.input.secrets[field] && !args.input.clearSecrets.includes(field),
  );
  if (kept.length === 0) return;
  const labels = kept.map((field) => `the ${fieldLabel(secretsSchema, field)}`);
  const them = kept.length === 1 ? "it" : "them";
  throw new AppError(
    "BAD_REQUEST",
    `${capitalise(moves.join("; "))}: enter ${joinWords(labels)} again, or clear ${them}. Saved secrets are sent only to the address they were entered for.`,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function joinWords(words: string[]): string {
  return words.length <= 1
    ? words.join("")
    : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

function openSecrets(sealed: string | null): Record<string, string> {
  return sealed ? getRuntime().secrets.open<Record<string, string>>(sealed) : {};
}

export async function listConnectors(): Promise<TConnectorView[]> {
  const rows = await db.connector.findMany({
    orderBy: { name: "asc" },
    include: { _count: { select: { reports: true } }, ...AUTHORSHIP_INCLUDE },
  });
  return rows.map((row) => {
    const kind = connectorKind(row.kind);
    const secrets = openSecrets(row.sealedSecrets);
    return {
      ...authorshipOf(row),
      id: row.id,
      name: row.name,
      kind: row.kind,
      kindLabel: kind.label,
      baseUrl: row.baseUrl,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      secretsSet: Object.fromEntries(
        secretFieldNames(row.kind).map((f) => [f, Boolean(secrets[f])]),
      ),
      reportCount: row._count.reports,
      updatedAt: row.updatedAt,
      lastCheckedAt: row.lastCheckedAt,
      lastCheckOk: row.lastCheckOk,
      lastCheckMessage: row.lastCheckMessage,
      isSource: isSourceKind(kind),
      destination: kind.destination ?? null,
      canBrowse: isSourceKind(kind) && kind.browse !== undefined,
      canDescribeParameters: isSourceKind(kind) && kind.describeParameters !== undefined,
    };
  });
}

export async function saveConnector(
  raw: TConnectorInput,
  actorId?: string,
): Promise<{ id: string }> {
  const parsedInput = ZConnectorInput.parse(raw);
  const kind = connectorKind(parsedInput.kind);
  const input = {
    ...parsedInput,
    baseUrl: kind.hasNoAddress ? "" : parsedInput.baseUrl || kind.defaultAddress || "",
  };
  const settings = kind.settingsSchema.safeParse(input.settings);
  if (!settings.success) {
    const fieldErrors = fieldErrorsOf(settings.error, "settings");
    throw new AppError("BAD_REQUEST", formProblemMessage(fieldErrors), fieldErrors);
  }
  if (!kind.isAddressOptional && !input.baseUrl) {
    const problem = `A ${kind.label} connector needs the address of the server.`;
    throw new AppError("BAD_REQUEST", problem, { baseUrl: problem });
  }
  const existing = input.id ? await db.connector.findUnique({ where: { id: input.id } }) : null;
  if (input.id && !existing) throw new AppError("NOT_FOUND", "This connector does not exist.");
  if (existing && existing.kind !== input.kind) {
    throw new AppError("BAD_REQUEST", "A connector cannot change its kind; create a new one.");
  }
  const fields = new Set(secretFieldNames(input.kind));
  const stored = openSecrets(existing?.sealedSecrets ?? null);
  for (const field of Object.keys(input.secrets)) {
    if (!fields.has(field))
      throw new AppError("BAD_REQUEST", `"${field}" is not a secret of this kind.`);
  }
  if (existing) {
    assertSecretsFollowAddresses({
      kind: input.kind,
      before: {
        baseUrl: existing.baseUrl,
        settings: JSON.parse(existing.settings) as Record<string, unknown>,
      },
      after: { baseUrl: input.baseUrl, settings: settings.data as Record<string, unknown> },
      stored,
      input,
    });
  }
  const secrets = { ...stored };
  for (const [field, value] of Object.entries(input.secrets))
    if (value !== "") secrets[field] = value;
  for (const field of input.clearSecrets) delete secrets[field];
  const checkedSecrets = kind.secretsSchema.safeParse(secrets);
  if (!checkedSecrets.success) {
    const fieldErrors = fieldErrorsOf(checkedSecrets.error, "secrets");
    throw new AppError("BAD_REQUEST", formProblemMessage(fieldErrors), fieldErrors);
  }
  const data = {
    name: input.name,
    kind: input.kind,
    baseUrl: input.baseUrl.replace(/\/+$/, ""),
    settings: JSON.stringify(settings.data),
    sealedSecrets: Object.keys(secrets).length > 0 ? getRuntime().secrets.seal(secrets) : null,
    // an edit makes the last check meaningless
    lastCheckedAt: null,
    lastCheckOk: null,
    lastCheckMessage: null,
    ...authoredBy(actorId, !existing),
  };
  try {
    const saved = existing
      ? await db.connector.update({ where: { id: existing.id }, data })
      : await db.connector.create({ data });
    return { id: saved.id };
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") {
      throw new AppError("CONFLICT", `A connector named "${input.name}" exists already.`);
    }
    throw error;
  }
}

export async function deleteConnector(id: string): Promise<void> {
  const reports = await db.report.count({ where: { connectorId: id } });
  if (reports > 0) {
    throw new AppError(
      "CONFLICT",
      `${reports} report${reports === 1 ? " uses" : "s use"} this connector; delete or move ${reports === 1 ? "it" : "them"} first.`,
    );
  }
  // a destination named by a pipeline, or by a schedule's deliveries or alerts, would make their
  // next runs fail (or alert nobody) without a word: say who uses it instead
  const [pipelines, schedules, alertingPipelines] = await Promise.all([
    db.pipeline.findMany({ where: { connectorId: id }, select: { name: true } }),
    db.schedule.findMany({
      where: { OR: [{ deliverTo: { contains: id } }, { alertRules: { contains: id } }] },
      select: { name: true },
    }),
    db.pipeline.findMany({ where: { alertRules: { contains: id } }, select: { name: true } }),
  ]);
  const users = [
    ...[...pipelines, ...alertingPipelines].map((p) => `the pipeline “${p.name}”`),
    ...schedules.map((s) => `the schedule “${s.name}”`),
  ];
  if (users.length > 0) {
    const named = [...new Set(users)];
    throw new AppError(
      "CONFLICT",
      `${named.slice(0, 3).join(", ")}${named.length > 3 ? ` and ${named.length - 3} more` : ""} use${named.length === 1 ? "s" : ""} this destination; change ${named.length === 1 ? "it" : "them"} first.`,
    );
  }
  await db.connector.deleteMany({ where: { id } });
}

/** The connector as its kind works with it, secrets opened; only for server-side use. */
export async function loadConnection(
  id: string,
): Promise<TConnection<unknown, unknown> & { kind: string }> {
  const row = await db.connector.findUnique({ where: { id } });
  if (!row)
    throw new AppError("NOT_FOUND", "This connector does not exist (it may have been deleted).");
  const kind = connectorKind(row.kind);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    baseUrl: row.baseUrl,
    settings: kind.settingsSchema.parse(JSON.parse(row.settings)),
    secrets: kind.secretsSchema.parse(openSecrets(row.sealedSecrets)),
    // what a session depends on: recording a connection test must not throw cached sessions away
    revision: createHash("sha256")
      .update(`${row.baseUrl}\n${row.settings}\n${row.sealedSecrets ?? ""}`)
      .digest("hex")
      .slice(0, 16),
  };
}

/** What a kind works with on this server, for the connector `id`. */
export function connectorContext(id: string, signal?: AbortSignal): TConnectorContext {
  const runtime = getRuntime();
  return {
    http: runtime.connectorHttp,
    sessions: runtime.connectorSessions,
    tempDir: runtime.scratchDir,
    signal,
    folderRoot: env.DELIVERY_FOLDER_ROOT,
    rememberSettings: (patch) => rememberSettings(id, patch),
  };
}

/**
 * Merges what a kind learned into the connector's settings, keeping its last check: the host key an
 * SFTP server showed on the first connection is not an edit.
 */
async function rememberSettings(id: string, patch: Record<string, unknown>): Promise<void> {
  const row = await db.connector.findUnique({ where: { id }, select: { settings: true } });
  if (!row) return;
  const settings = { ...(JSON.parse(row.settings) as Record<string, unknown>), ...patch };
  await db.connector.updateMany({
    where: { id, settings: row.settings },
    data: { settings: JSON.stringify(settings) },
  });
}

/** Signs in for real (a fresh session, never a cached one) and records the answer in plain words. */
export async function testConnector(id: string): Promise<{ isOk: boolean; message: string }> {
  const connection = await loadConnection(id);
  let result: { isOk: boolean; message: string };
  try {
    const message = await connectorKind(connection.kind).testConnection(connection, {
      ...connectorContext(id, AbortSignal.timeout(60_000)),
      sessions: createSessionCache(),
    });
    result = { isOk: true, message };
  } catch (error) {
    const isExpected = error instanceof ConnectorError;
    if (!isExpected)
      logger.error({ connectorId: id, err: error }, "connection test failed unexpectedly");
    result = {
      isOk: false,
      message: isExpected ? error.message : `failed: ${(error as Error).message}`,
    };
  }
  await db.connector.update({
    where: { id },
    data: { lastCheckedAt: new Date(), lastCheckOk: result.isOk, lastCheckMessage: result.message },
  });
  return result;
}
