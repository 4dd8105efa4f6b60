import { CONNECTOR_SCHEMAS } from "@/server/connectors/kind-schemas";
import type { TConnectorKindName } from "@/server/connectors/types";
import { formFieldsOf, type TFormField } from "@/server/forms/schema-fields";

/** A box of the connector form; a secret is write-only and sent apart from the settings. */
export type TConnectorField = TFormField & { isSecret: boolean };

const cache = new Map<string, TConnectorField[]>();
const queryCache = new Map<string, TFormField[]>();

/** The connector form of a kind, generated from the schemas the server validates with. */
export function connectorFields(kind: string): TConnectorField[] {
  const schemas = CONNECTOR_SCHEMAS[kind as TConnectorKindName];
  if (!schemas) return [];
  let fields = cache.get(kind);
  if (!fields) {
    const secretNames = formFieldsOf(schemas.secretsSchema).map((field) => field.name);
    fields = formFieldsOf(schemas.formSchema, secretNames).map((field) => ({
      ...field,
      isSecret: secretNames.includes(field.name),
    }));
    cache.set(kind, fields);
  }
  return fields;
}

/** The report form of a kind: its query schema's fields. */
export function queryFields(kind: string): TFormField[] {
  const querySchema = CONNECTOR_SCHEMAS[kind as TConnectorKindName]?.querySchema;
  if (!querySchema) return [];
  let fields = queryCache.get(kind);
  if (!fields) {
    fields = formFieldsOf(querySchema);
    queryCache.set(kind, fields);
  }
  return fields;
}
