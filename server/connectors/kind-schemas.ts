import { googleSheetsSchemas } from "./google-sheets/schemas";
import { httpFileSchemas } from "./http-file/schemas";
import { lookerSchemas } from "./looker/schemas";
import { metabaseSchemas } from "./metabase/schemas";
import { powerBiSchemas } from "./powerbi/schemas";
import { salesforceSchemas } from "./salesforce/schemas";
import { supersetSchemas } from "./superset/schemas";
import { CHAT_CHANNEL_SCHEMAS, FILE_DESTINATION_SCHEMAS } from "@/server/deliveries/schemas";
import type { TConnectorKindName, TConnectorSchemas } from "./types";

/** Each kind's schemas without its server code: what the browser's forms are generated from. */
export const CONNECTOR_SCHEMAS: Record<TConnectorKindName, TConnectorSchemas> = {
  metabase: metabaseSchemas,
  superset: supersetSchemas,
  salesforce: salesforceSchemas,
  http: httpFileSchemas,
  looker: lookerSchemas,
  powerbi: powerBiSchemas,
  "google-sheets": googleSheetsSchemas,
  ...FILE_DESTINATION_SCHEMAS,
  ...CHAT_CHANNEL_SCHEMAS,
};

export const CONNECTOR_KIND_LABELS = Object.fromEntries(
  Object.values(CONNECTOR_SCHEMAS).map((schemas) => [schemas.kind, schemas.label]),
) as Record<TConnectorKindName, string>;
