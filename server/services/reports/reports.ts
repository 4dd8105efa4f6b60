import "server-only";
import {
  AUTHORSHIP_INCLUDE,
  authoredBy,
  authorshipOf,
  type TAuthorship,
} from "../accounts/authorship";
import { z } from "zod";
import { connectorKind, isSourceKind, sourceKind, type TSeedEntry } from "@/server/connectors";
import { db } from "@/server/db";
import { fieldErrorsOf, formProblemMessage } from "@/server/field-errors";
import { AppError } from "@/server/errors";
import { validateFileNameTemplate } from "./file-name-template";
import { copyBase, copyName } from "../bulk-actions";

export const ZReportInput = z.object({
  id: z.uuid().optional(),
  name: z.string().trim().min(1, "Give the report a name.").max(150),
  connectorId: z.uuid("Choose a connector."),
  query: z.unknown(),
  format: z.enum(["csv", "json"]).default("csv"),
  fileNameTemplate: z.string().trim().min(1).max(200).default("{report}_{date:yyyyMMdd_HHmm}.csv"),
});
export type TReportInput = z.input<typeof ZReportInput>;

export type TReportView = TAuthorship & {
  id: string;
  name: string;
  connectorId: string;
  connectorName: string;
  connectorKind: string;
  query: unknown;
  queryText: string;
  format: string;
  fileNameTemplate: string;
  updatedAt: Date;
  lastRun: {
    state: string;
    startedAt: Date | null;
    finishedAt: Date | null;
    jobId: string;
  } | null;
};

export async function listReports(): Promise<TReportView[]> {
  const rows = await db.report.findMany({
    orderBy: { name: "asc" },
    include: {
      connector: { select: { name: true, kind: true } },
      ...AUTHORSHIP_INCLUDE,
      runItems: {
        orderBy: { startedAt: "desc" },
        take: 1,
        select: { state: true, startedAt: true, finishedAt: true, jobId: true },
      },
    },
  });
  return rows.map((row) => {
    const query = JSON.parse(row.query) as unknown;
    return {
      ...authorshipOf(row),
      id: row.id,
      name: row.name,
      connectorId: row.connectorId,
      connectorName: row.connector.name,
      connectorKind: row.connector.kind,
      query,
      queryText: describeQuery(row.connector.kind, query),
      format: row.format,
      fileNameTemplate: row.fileNameTemplate,
      updatedAt: row.updatedAt,
      lastRun: row.runItems[0] ?? null,
    };
  });
}

function describeQuery(kind: string, query: unknown): string {
  const parsed = sourceKind(kind).querySchema.safeParse(query);
  return parsed.success ? sourceKind(kind).describeQuery(parsed.data) : "invalid query";
}

/** The query checked by its kind's schema; a sentence per field ("query.cardId") if it fails. */
export function parseReportQuery(kind: string, raw: unknown): unknown {
  const found = connectorKind(kind);
  if (!isSourceKind(found)) {
    throw new AppError(
      "BAD_REQUEST",
      `A ${found.label} connector is a destination: choose a connector a report can read from.`,
    );
  }
  const query = found.querySchema.safeParse(raw);
  if (!query.success) {
    const fieldErrors = fieldErrorsOf(query.error, "query");
    throw new AppError("BAD_REQUEST", formProblemMessage(fieldErrors), fieldErrors);
  }
  return query.data;
}

async function validatedReportData(raw: TReportInput) {
  const input = ZReportInput.parse(raw);
  const connector = await db.connector.findUnique({ where: { id: input.connectorId } });
  if (!connector) throw new AppError("BAD_REQUEST", "The chosen connector does not exist.");
  const query = parseReportQuery(connector.kind, input.query);
  const templateProblem = validateFileNameTemplate(input.fileNameTemplate);
  if (templateProblem) {
    throw new AppError("BAD_REQUEST", templateProblem, { fileNameTemplate: templateProblem });
  }
  return {
    id: input.id,
    data: {
      name: input.name,
      connectorId: input.connectorId,
      query: JSON.stringify(query),
      format: input.format,
      fileNameTemplate: input.fileNameTemplate,
    },
  };
}

export async function saveReport(raw: TReportInput, actorId?: string): Promise<{ id: string }> {
  const { id, data } = await validatedReportData(raw);
  try {
    const saved = id
      ? await db.report.update({ where: { id }, data: { ...data, ...authoredBy(actorId, false) } })
      : await db.report.create({ data: { ...data, ...authoredBy(actorId, true) } });
    return { id: saved.id };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "P2002")
      throw new AppError("CONFLICT", `A report named "${data.name}" exists already.`);
    if (code === "P2025") throw new AppError("NOT_FOUND", "This report does not exist.");
    throw error;
  }
}

export async function deleteReports(ids: string[]): Promise<{ deleted: number }> {
  const { count } = await db.report.deleteMany({ where: { id: { in: ids } } });
  return { deleted: count };
}

// ---- request.json: report name to request_url and payload ----

const ZRequestJson = z.record(
  z.string().trim().min(1),
  z.object({ request_url: z.string().trim().min(1), payload: z.unknown().optional() }),
);

export type TImportProblem = { report: string; problem: string };

/** An address several connectors share: the person importing picks which one its reports use. */
export type TAddressChoice = {
  address: string;
  reports: string[];
  connectors: { id: string; name: string }[];
};

/**
 * Imports every entry of a request.json or none: each report name maps to a connector (by the
 * URL's address, or `defaultConnectorId` for relative URLs, as seed 000's base_url did) and a
 * query that connector's kind understands. Anything that cannot be mapped is reported. When
 * several connectors have the address (two accounts on one Metabase), none is guessed: the
 * address comes back as a choice, answered in `connectorForAddress`.
 */
export async function importRequestJson(args: {
  text: string;
  defaultConnectorId?: string;
  connectorForAddress?: Record<string, string>;
  replaceExisting?: boolean;
}): Promise<{ imported: number; problems: TImportProblem[]; choices: TAddressChoice[] }> {
  let document: unknown;
  try {
    document = JSON.parse(args.text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `This is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ZRequestJson.safeParse(document);
  if (!parsed.success) {
    throw new AppError(
      "BAD_REQUEST",
      'This is not a request.json: it should name each report with its "request_url" and "payload", like {"Sales": {"request_url": "/api/card/1/query/csv", "payload": {}}}.',
    );
  }
  const entries = Object.entries(parsed.data);
  if (entries.length === 0) throw new AppError("BAD_REQUEST", "The file lists no reports.");

  const connectors = (await db.connector.findMany()).filter((row) =>
    isSourceKind(connectorKind(row.kind)),
  );
  const existingNames = new Set(
    (await db.report.findMany({ select: { name: true } })).map((r) => r.name),
  );
  const problems: TImportProblem[] = [];
  const choices = new Map<string, TAddressChoice>();
  const planned: { name: string; connectorId: string; query: unknown; replaces: boolean }[] = [];

  for (const [name, entry] of entries) {
    const isAbsolute = /^https?:\/\//i.test(entry.request_url);
    const url = isAbsolute ? safeUrl(entry.request_url) : null;
    if (isAbsolute && !url) {
      problems.push({ report: name, problem: `"${entry.request_url}" is not a valid URL` });
      continue;
    }
    let connector: TConnectorRow | undefined;
    let base = "";
    if (!url) connector = connectors.find((c) => c.id === args.defaultConnectorId);
    else {
      const closest = closestConnectors(connectors, url);
      base = closest.address;
      connector = closest.candidates[0];
      if (closest.candidates.length > 1) {
        connector = closest.candidates.find((c) => c.id === args.connectorForAddress?.[base]);
        if (!connector) {
          const choice = choices.get(base) ?? {
            address: base,
            reports: [],
            connectors: closest.candidates.map((c) => ({ id: c.id, name: c.name })),
          };
          choice.reports.push(name);
          choices.set(base, choice);
          continue;
        }
      }
    }
    if (!connector) {
      problems.push({
        report: name,
        problem: url
          ? `no connector has the address ${url.origin} (add one, or an HTTP file connector without a base URL)`
          : `"${entry.request_url}" is relative: choose the connector it belongs to`,
      });
      continue;
    }
    const path = url ? url.href.slice(base.length) || "/" : entry.request_url;
    let query: unknown = null;
    try {
      query = sourceKind(connector.kind).queryFromSeed({
        path,
        url: connector.baseUrl ? null : url,
        payload: entry.payload ?? {},
      });
    } catch (error) {
      problems.push({
        report: name,
        problem: `the payload does not fit ${connector.name}: ${(error as Error).message}`,
      });
      continue;
    }
    if (!query) {
      problems.push({
        report: name,
        problem: `${connector.name} (${connector.kind}) does not know the address ${path}`,
      });
      continue;
    }
    const replaces = existingNames.has(name);
    if (replaces && !args.replaceExisting) {
      problems.push({
        report: name,
        problem:
          "a report with this name exists already (tick “Replace reports with the same name” to overwrite it)",
      });
      continue;
    }
    planned.push({ name, connectorId: connector.id, query, replaces });
  }
  if (problems.length > 0 || choices.size > 0)
    return { imported: 0, problems, choices: [...choices.values()] };

  await db.$transaction(
    planned.map((p) =>
      db.report.upsert({
        where: { name: p.name },
        create: { name: p.name, connectorId: p.connectorId, query: JSON.stringify(p.query) },
        update: { connectorId: p.connectorId, query: JSON.stringify(p.query) },
      }),
    ),
  );
  return { imported: planned.length, problems: [], choices: [] };
}

type TConnectorRow = Awaited<ReturnType<typeof db.connector.findMany>>[number];

/** A base URL as `URL` writes it (host in lower case, no default port), without trailing slashes. */
function normalizedBase(baseUrl: string): string | null {
  const url = safeUrl(baseUrl);
  return url ? url.href.replace(/\/+$/, "") : null;
}

/**
 * The connectors an absolute URL belongs to: those with the longest base URL it lies under (so
 * /metabase and /superset on one host stay apart), or else the HTTP file connectors without a base
 * URL (address ""). More than one candidate is for the person importing to choose.
 */
function closestConnectors(
  connectors: TConnectorRow[],
  url: URL,
): { address: string; candidates: TConnectorRow[] } {
  let address = "";
  let candidates: TConnectorRow[] = [];
  for (const connector of connectors) {
    const base = connector.baseUrl ? normalizedBase(connector.baseUrl) : null;
    // under the base: the same address, or a path, query or fragment after it (not ":8443", ".evil")
    if (!base || !url.href.startsWith(base) || !/^([/?#]|$)/.test(url.href.slice(base.length)))
      continue;
    if (base.length > address.length) {
      address = base;
      candidates = [];
    }
    if (base.length === address.length) candidates.push(connector);
  }
  if (candidates.length > 0) return { address, candidates };
  return { address: "", candidates: connectors.filter((c) => c.kind === "http" && !c.baseUrl) };
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Reports as seed 000's request.json: report name to request_url and payload. */
export async function exportRequestJson(ids?: string[]): Promise<Record<string, TSeedEntry>> {
  const rows = await db.report.findMany({
    where: ids ? { id: { in: ids } } : {},
    orderBy: { name: "asc" },
    include: { connector: true },
  });
  const document: Record<string, TSeedEntry> = {};
  for (const row of rows) {
    const kind = sourceKind(row.connector.kind);
    document[row.name] = kind.queryToSeed(
      row.connector,
      kind.querySchema.parse(JSON.parse(row.query)),
    );
  }
  return document;
}

/** A copy of the report under a free name, "Sales (copy)": the same connector, query and format. */
export async function duplicateReport(
  id: string,
  actorId?: string,
): Promise<{ id: string; name: string }> {
  const report = await db.report.findUnique({ where: { id } });
  if (!report) throw new AppError("NOT_FOUND", "This report does not exist.");
  const taken = await db.report.findMany({
    where: { name: { startsWith: copyBase(report.name) } },
    select: { name: true },
  });
  const name = copyName(report.name, new Set(taken.map((r) => r.name)));
  const copy = await db.report.create({
    data: {
      name,
      connectorId: report.connectorId,
      query: report.query,
      format: report.format,
      fileNameTemplate: report.fileNameTemplate,
      ...authoredBy(actorId, true),
    },
  });
  return { id: copy.id, name };
}
