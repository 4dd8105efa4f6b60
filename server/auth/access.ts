// Who may do what: one ladder for roles and API token scopes. Client-safe: the UI hides what a
// role cannot do with the same functions the server refuses it with.

export const ROLES = ["viewer", "operator", "admin"] as const;
export type TRole = (typeof ROLES)[number];

/**
 * What a procedure or route needs. read: see and download; run: also create, edit, start and
 * cancel batches, reports, transforms, pushes and schedules; admin: also users, connectors,
 * secrets and settings. An API token's scope is one of these too.
 */
export const ACCESS_LEVELS = ["read", "run", "admin"] as const;
export type TAccessLevel = (typeof ACCESS_LEVELS)[number];

const RANK: Record<TAccessLevel, number> = { read: 0, run: 1, admin: 2 };

/** What a token may be made for: a level, or only Prometheus's scrape of /metrics. */
export const TOKEN_SCOPES = [...ACCESS_LEVELS, "metrics"] as const;
export type TTokenScope = (typeof TOKEN_SCOPES)[number];

export const ROLE_LEVEL: Record<TRole, TAccessLevel> = {
  viewer: "read",
  operator: "run",
  admin: "admin",
};

export const ROLE_LABEL: Record<TRole, string> = {
  viewer: "Viewer",
  operator: "Operator",
  admin: "Admin",
};

export const ROLE_DESCRIPTION: Record<TRole, string> = {
  viewer: "sees jobs, reports and tables, and downloads their files",
  operator: "also creates and runs batches, reports, transforms, pushes and schedules",
  admin: "also manages users, connectors, secrets and settings",
};

export function isRole(value: unknown): value is TRole {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** An unknown role (a row from before roles existed) is treated as the least one. */
export function roleOf(value: unknown): TRole {
  return isRole(value) ? value : "viewer";
}

/** What a request may do: its user's role, narrowed by the API token's scope when it sent one. */
export function grantedLevel(role: TRole, tokenScope: TAccessLevel | null): TAccessLevel {
  const byRole = ROLE_LEVEL[role];
  if (!tokenScope) return byRole;
  return RANK[tokenScope] < RANK[byRole] ? tokenScope : byRole;
}

export function levelAllows(granted: TAccessLevel, needed: TAccessLevel): boolean {
  return RANK[granted] >= RANK[needed];
}

export function roleCan(role: TRole, needed: TAccessLevel): boolean {
  return levelAllows(ROLE_LEVEL[role], needed);
}

/** The least role that reaches a level, for messages. */
function leastRoleFor(needed: TAccessLevel): TRole {
  return ROLES.find((role) => roleCan(role, needed))!;
}

/**
 * Why a request may not do something, in words its user can act on, or null when it may. A token
 * never does more than its owner: the owner's role is checked before the token's scope.
 */
export function accessRefusal(
  who: { role: TRole; tokenScope: TTokenScope | null },
  needed: TAccessLevel,
  what = "this",
): string | null {
  if (who.tokenScope === "metrics")
    return `This API token's scope is "metrics": it reads /metrics and nothing else.`;
  if (!roleCan(who.role, needed)) {
    const least = leastRoleFor(needed);
    const roles = least === "admin" ? "an admin" : "an operator or an admin";
    return who.tokenScope
      ? `This API token belongs to a ${who.role}; ${what} needs ${roles}.`
      : `Your role is ${ROLE_LABEL[who.role].toLowerCase()}; ${what} needs ${roles}. Ask an admin if you need it.`;
  }
  if (who.tokenScope && !levelAllows(who.tokenScope, needed))
    return `This API token's scope is "${who.tokenScope}"; ${what} needs "${needed}".`;
  return null;
}

/** /metrics: a token made for it, or an admin (a session or an admin token); null when allowed. */
export function metricsRefusal(who: {
  role: TRole;
  tokenScope: TTokenScope | null;
}): string | null {
  if (!roleCan(who.role, "admin"))
    return `/metrics needs a token with the "metrics" scope made by an admin, or an admin's own.`;
  if (who.tokenScope && who.tokenScope !== "metrics" && who.tokenScope !== "admin")
    return `This API token's scope is "${who.tokenScope}"; /metrics needs "metrics" or "admin".`;
  return null;
}
