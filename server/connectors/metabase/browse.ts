import { z } from "zod";
import { ConnectorError } from "../connector-error";
import type { TBrowseItem, TBrowsePage, TBrowseRequest, TReportParameter } from "../types";

/** A GET on the connector's Metabase, answered as `schema`, its failures in words about `what`. */
export type TMetabaseGet = <TSchema extends z.ZodType>(
  path: string,
  schema: TSchema,
  what: string,
) => Promise<z.output<TSchema>>;

/** The parts of GET /api/search we read: `{data: [...], total}` (search/impl.clj). */
const ZSearchAnswer = z.object({
  data: z.array(
    z.object({
      model: z.string(),
      id: z.number().int(),
      name: z.string(),
      collection: z.object({ name: z.string().nullish() }).nullish(),
      dashboard: z.object({ name: z.string().nullish() }).nullish(),
    }),
  ),
  total: z.number().int().nonnegative(),
});

const ZParameter = z.object({
  id: z.string(),
  name: z.string().nullish(),
  slug: z.string().nullish(),
  type: z.string().nullish(),
  target: z.unknown().optional(),
  default: z.unknown().optional(),
  required: z.boolean().nullish(),
});
type TParameter = z.infer<typeof ZParameter>;

/** A native query's template tag (lib/schema/template_tag.cljc). */
const ZTemplateTag = z.object({
  name: z.string(),
  "display-name": z.string().nullish(),
  type: z.string(),
  "widget-type": z.string().nullish(),
  default: z.unknown().optional(),
  required: z.boolean().nullish(),
});
const ZTemplateTags = z.record(z.string(), ZTemplateTag);

/** GET /api/card/:id: a legacy native query keeps its tags in `native`, a staged one in `stages`. */
const ZCard = z.object({
  id: z.number().int(),
  name: z.string(),
  parameters: z.array(ZParameter).nullish(),
  dataset_query: z
    .object({
      native: z.object({ "template-tags": ZTemplateTags.nullish() }).nullish(),
      stages: z.array(z.object({ "template-tags": ZTemplateTags.nullish() })).nullish(),
    })
    .nullish(),
});

const ZDashcard = z.object({
  id: z.number().int(),
  card_id: z.number().int().nullish(),
  card: z.object({ id: z.number().int().nullish(), name: z.string().nullish() }).nullish(),
  parameter_mappings: z.array(z.object({ parameter_id: z.string() })).nullish(),
});
/** GET /api/dashboard/:id; releases before 0.47 call the cards `ordered_cards`. */
const ZDashboard = z.object({
  id: z.number().int(),
  name: z.string(),
  parameters: z.array(ZParameter).nullish(),
  dashcards: z.array(ZDashcard).nullish(),
  ordered_cards: z.array(ZDashcard).nullish(),
});

const DASHBOARD_KEY = /^dashboard:(\d+)$/;
const TYPE_WORDS: Record<string, string> = {
  card: "question",
  dataset: "model",
  metric: "metric",
  dashboard: "dashboard",
};

/**
 * Saved questions, models and dashboards by name, through Metabase's own search (GET /api/search,
 * paged with limit and offset, which it wants together); a dashboard's key lists its cards.
 */
export async function browseMetabase(
  get: TMetabaseGet,
  request: TBrowseRequest,
): Promise<TBrowsePage> {
  const dashboard = request.parent ? DASHBOARD_KEY.exec(request.parent) : null;
  if (request.parent && !dashboard) throw new ConnectorError("unknown Metabase folder to list");
  if (dashboard) return listDashcards(get, Number(dashboard[1]), request);
  const params = new URLSearchParams();
  const search = request.search.trim();
  if (search) params.set("q", search);
  for (const model of ["card", "dataset", "dashboard"]) params.append("models", model);
  // questions saved inside a dashboard are left out unless asked for
  params.set("include_dashboard_questions", "true");
  params.set("limit", String(request.limit));
  params.set("offset", "0");
  const answer = await get(`api/search?${params}`, ZSearchAnswer, "searching Metabase");
  const items = answer.data.slice(0, request.limit).map((found): TBrowseItem => {
    const where = found.dashboard?.name ?? found.collection?.name ?? null;
    const type = TYPE_WORDS[found.model] ?? found.model;
    if (found.model === "dashboard") {
      return {
        key: `dashboard:${found.id}`,
        type,
        name: found.name,
        detail: where,
        query: null,
        hasChildren: true,
      };
    }
    return {
      key: `card:${found.id}`,
      type,
      name: found.name,
      detail: where,
      query: { target: "card", cardId: found.id },
    };
  });
  return { items, total: Math.max(answer.total, items.length) };
}

async function listDashcards(
  get: TMetabaseGet,
  dashboardId: number,
  request: TBrowseRequest,
): Promise<TBrowsePage> {
  const dashboard = await get(
    `api/dashboard/${dashboardId}`,
    ZDashboard,
    `dashboard ${dashboardId}`,
  );
  const needle = request.search.trim().toLowerCase();
  // text and heading cards have no card: nothing to export there
  const cards = (dashboard.dashcards ?? dashboard.ordered_cards ?? []).flatMap((dashcard) => {
    const cardId = dashcard.card_id ?? dashcard.card?.id;
    if (!cardId) return [];
    const name = dashcard.card?.name ?? `card ${cardId}`;
    if (needle && !name.toLowerCase().includes(needle)) return [];
    return [
      {
        key: `dashcard:${dashcard.id}`,
        type: "dashboard card",
        name,
        detail: dashboard.name,
        query: { target: "dashcard", dashboardId, dashcardId: dashcard.id, cardId },
      },
    ];
  });
  return { items: cards.slice(0, request.limit), total: cards.length };
}

const RAW_VALUE_TYPES: Record<string, { type: string; valueType: TReportParameter["valueType"] }> =
  {
    text: { type: "category", valueType: "text" },
    number: { type: "number/=", valueType: "number" },
    date: { type: "date/single", valueType: "date" },
    boolean: { type: "boolean/=", valueType: "boolean" },
  };

function valueTypeOf(type: string): TReportParameter["valueType"] {
  if (type.startsWith("number")) return "number";
  if (type.startsWith("date")) return "date";
  if (type.startsWith("boolean")) return "boolean";
  return "text";
}

function asText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(String).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The template tag a parameter's target names: ["variable", ["template-tag", "region"]]. */
function tagOfTarget(target: unknown): string | null {
  if (!Array.isArray(target) || !Array.isArray(target[1])) return null;
  const [what, name] = target[1] as unknown[];
  return what === "template-tag" && typeof name === "string" ? name : null;
}

/**
 * A card's parameters come from its native query's template tags (name, display name, type,
 * required, default); the card's `parameters` add the type the UI gave them. A question built
 * without SQL has no tags, and its `parameters` carry their targets themselves.
 */
function cardParameters(card: z.infer<typeof ZCard>): TReportParameter[] {
  const query = card.dataset_query;
  const tags = Object.values(
    query?.native?.["template-tags"] ?? query?.stages?.[0]?.["template-tags"] ?? {},
  );
  const byTag = new Map<string, TParameter>();
  for (const parameter of card.parameters ?? []) {
    const tag = tagOfTarget(parameter.target);
    if (tag) byTag.set(tag, parameter);
  }
  const fromTags = tags.flatMap((tag): TReportParameter[] => {
    const isFieldFilter = tag.type === "dimension";
    const raw = RAW_VALUE_TYPES[tag.type];
    // snippets and card references are parts of the SQL, not values a user gives
    if (!isFieldFilter && !raw) return [];
    const parameter = byTag.get(tag.name);
    const type =
      parameter?.type ?? (isFieldFilter ? (tag["widget-type"] ?? "category") : raw!.type);
    return [
      {
        name: tag.name,
        displayName: tag["display-name"] ?? parameter?.name ?? tag.name,
        type,
        valueType: raw?.valueType ?? valueTypeOf(type),
        isRequired: tag.required ?? parameter?.required ?? false,
        defaultValue: asText(tag.default ?? parameter?.default),
        template: {
          type,
          target: [isFieldFilter ? "dimension" : "variable", ["template-tag", tag.name]],
        },
      },
    ];
  });
  if (tags.length > 0) return fromTags;
  return (card.parameters ?? []).flatMap((parameter) =>
    parameter.target === undefined ? [] : [fromParameter(parameter, { target: parameter.target })],
  );
}

function fromParameter(parameter: TParameter, extra: Record<string, unknown>): TReportParameter {
  const type = parameter.type ?? "category";
  return {
    name: parameter.slug ?? parameter.id,
    displayName: parameter.name ?? parameter.slug ?? parameter.id,
    type,
    valueType: valueTypeOf(type),
    isRequired: parameter.required ?? false,
    defaultValue: asText(parameter.default),
    template: { type, ...extra },
  };
}

/**
 * The parameters of a card (its template tags), or of a dashboard card (the dashboard's filters
 * wired to that card): the export takes each with its target, or on a dashboard with its `id`.
 */
export async function describeMetabaseParameters(
  get: TMetabaseGet,
  query: { target: "card" | "dashcard"; cardId: number; dashboardId?: number; dashcardId?: number },
): Promise<TReportParameter[]> {
  if (query.target === "card") {
    return cardParameters(await get(`api/card/${query.cardId}`, ZCard, `card ${query.cardId}`));
  }
  const dashboard = await get(
    `api/dashboard/${query.dashboardId}`,
    ZDashboard,
    `dashboard ${query.dashboardId}`,
  );
  const dashcard = (dashboard.dashcards ?? dashboard.ordered_cards ?? []).find(
    (found) => found.id === query.dashcardId,
  );
  if (!dashcard) {
    throw new ConnectorError(
      `dashboard ${query.dashboardId} has no card ${query.dashcardId} (it may have been removed)`,
    );
  }
  const wired = new Set((dashcard.parameter_mappings ?? []).map((m) => m.parameter_id));
  return (dashboard.parameters ?? [])
    .filter((parameter) => wired.has(parameter.id))
    .map((parameter) => fromParameter(parameter, { id: parameter.id }));
}
