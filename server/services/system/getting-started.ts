import "server-only";
import type { TAccessLevel } from "@/server/auth/access";
import { requestRefusal, type TRequestAuth } from "@/server/auth/request-auth";
import { CONNECTOR_REGISTRY, isSourceKind } from "@/server/connectors/registry";
import type { TConnectorKindName } from "@/server/connectors/types";
import { db } from "@/server/db";

export type TGettingStartedStepId =
  "connector" | "report" | "run" | "schedule" | "destination" | "teammate";

export type TGettingStartedStep = {
  id: TGettingStartedStepId;
  title: string;
  detail: string;
  /** the page that does it */
  href: string;
  isDone: boolean;
  /** not needed for the checklist to be complete */
  isOptional: boolean;
};

export type TGettingStarted = {
  /** the dashboard shows the card: not dismissed, and a step the user can do is still open */
  isShown: boolean;
  isDismissed: boolean;
  /** only the steps the user's role (narrowed by an API token's scope) can do */
  steps: TGettingStartedStep[];
};

type TFacts = {
  hasSourceConnector: boolean;
  hasReport: boolean;
  hasReportRun: boolean;
  hasSchedule: boolean;
  hasDestination: boolean;
  hasTeammate: boolean;
};

const STEPS: {
  id: TGettingStartedStepId;
  needs: TAccessLevel;
  isOptional?: boolean;
  title: string;
  href: string;
  detail: (facts: TFacts, isAdmin: boolean) => string;
  isDone: (facts: TFacts) => boolean;
}[] = [
  {
    id: "connector",
    needs: "admin",
    title: "Add a connector",
    href: "/connectors",
    detail: () => "The address and sign-in of the system your reports come from (Metabase, …).",
    isDone: (facts) => facts.hasSourceConnector,
  },
  {
    id: "report",
    needs: "run",
    title: "Add a report",
    href: "/reports",
    // an operator cannot add the connector a report needs: say whom to ask instead of failing
    detail: (facts, isAdmin) =>
      facts.hasSourceConnector || isAdmin
        ? "What to fetch through a connector, and the name of its file."
        : "Needs a connector first: ask an admin to add one.",
    isDone: (facts) => facts.hasReport,
  },
  {
    id: "run",
    needs: "run",
    title: "Run a report once",
    href: "/reports",
    detail: () => "Select it on the Reports page and press Run now, to see that it works.",
    isDone: (facts) => facts.hasReportRun,
  },
  {
    id: "schedule",
    needs: "run",
    title: "Add a schedule",
    href: "/schedules",
    detail: () => "Let your reports run by themselves, every few hours or at set times.",
    isDone: (facts) => facts.hasSchedule,
  },
  {
    id: "destination",
    needs: "admin",
    isOptional: true,
    title: "Add a destination",
    href: "/destinations",
    detail: () => "Where files and alerts go: a folder, S3, e-mail, Slack, Teams, a webhook.",
    isDone: (facts) => facts.hasDestination,
  },
  {
    id: "teammate",
    needs: "admin",
    title: "Invite a teammate",
    href: "/users",
    detail: () => "Add the people who use DataHaul with you, each with a role.",
    isDone: (facts) => facts.hasTeammate,
  },
];

const dismissedKey = (userId: string) => `gettingStartedDismissed:${userId}`;

async function readFacts(): Promise<TFacts> {
  const [kinds, reports, runs, schedules, users] = await Promise.all([
    db.connector.findMany({ select: { kind: true }, distinct: ["kind"] }),
    db.report.count(),
    db.job.count({ where: { kind: "report_run" } }),
    db.schedule.count(),
    db.user.count(),
  ]);
  // a kind no longer in the registry (a row from an older version) is neither
  const known = kinds.flatMap(({ kind }) => CONNECTOR_REGISTRY[kind as TConnectorKindName] ?? []);
  return {
    hasSourceConnector: known.some((kind) => isSourceKind(kind)),
    hasReport: reports > 0,
    hasReportRun: runs > 0,
    hasSchedule: schedules > 0,
    hasDestination: known.some((kind) => kind.destination !== undefined),
    // the first admin is the one who set the app up: a teammate is anyone after them
    hasTeammate: users > 1,
  };
}

/** The dashboard's first-run checklist for this user: what to do next, and what is done. */
export async function getGettingStarted(who: TRequestAuth): Promise<TGettingStarted> {
  const [facts, dismissal] = await Promise.all([
    readFacts(),
    db.setting.findUnique({ where: { key: dismissedKey(who.user.id) } }),
  ]);
  const isAdmin = requestRefusal(who, "admin") === null;
  const steps = STEPS.filter((step) => requestRefusal(who, step.needs) === null).map((step) => ({
    id: step.id,
    title: step.title,
    detail: step.detail(facts, isAdmin),
    href: step.href,
    isDone: step.isDone(facts),
    isOptional: step.isOptional ?? false,
  }));
  const isDismissed = dismissal !== null;
  const isOpen = steps.some((step) => !step.isDone && !step.isOptional);
  return { isShown: !isDismissed && isOpen, isDismissed, steps };
}

/**
 * Hides (or shows again) the checklist for one user. Per user, in the key/value Setting table: a
 * teammate invited later still gets the steps their role can do, whatever the admin dismissed.
 */
export async function setGettingStartedDismissed(
  userId: string,
  isDismissed: boolean,
): Promise<{ isDismissed: boolean }> {
  const key = dismissedKey(userId);
  if (isDismissed) {
    const value = new Date().toISOString();
    await db.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
  } else {
    await db.setting.deleteMany({ where: { key } });
  }
  return { isDismissed };
}
