import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";
import { secretHeaderValue } from "../http-header";

// What a Metabase connector and its reports are made of: the server validates with these and the
// browser's forms are generated from them, so this file must stay free of server-only imports.

const signInWith = (values: string[]) => ({ showIf: { field: "authMethod", values } });

/** Every field of the connector form in its order; the secrets are split off below. */
const ZFields = z.object({
  authMethod: z
    .enum(["api_key", "session"])
    .default("api_key")
    .meta({
      title: "Sign in with",
      options: { api_key: "API key", session: "Email and password" },
    }),
  apiKey: secretHeaderValue("API key").meta(signInWith(["api_key"])),
  /** the account's email, for session sign-in */
  email: z
    .string()
    .trim()
    .default("")
    .meta({ title: "Email", ...signInWith(["session"]) }),
  password: z
    .string()
    .optional()
    .meta({ title: "Password", ...signInWith(["session"]) }),
});
const SECRETS = { apiKey: true, password: true } as const;
export const ZMetabaseSettings = ZFields.omit(SECRETS);
export const ZMetabaseSecrets = ZFields.pick(SECRETS);

const ZParameters = z.array(z.record(z.string(), z.unknown())).default([]).meta({
  title: "Parameters (JSON array)",
  placeholder: '[{"type":"category","target":["variable",["template-tag","region"]],"value":"EU"}]',
});
const ZFormatRows = z
  .boolean()
  .default(false)
  .meta({ title: "Values as shown in Metabase (format_rows)" });
const ZCardId = z.number().int().positive().meta({ title: "Card id" });

export const ZMetabaseQuery = z
  .discriminatedUnion("target", [
    z.object({
      target: z.literal("card").meta({ title: "A saved question (card)" }),
      cardId: ZCardId,
      parameters: ZParameters,
      formatRows: ZFormatRows,
    }),
    z.object({
      target: z.literal("dashcard").meta({ title: "A card on a dashboard" }),
      dashboardId: z.number().int().positive().meta({ title: "Dashboard id" }),
      dashcardId: z.number().int().positive().meta({ title: "Dashboard card id" }),
      cardId: ZCardId,
      parameters: ZParameters,
      formatRows: ZFormatRows,
    }),
  ])
  .meta({ title: "Export" });

export const metabaseSchemas = {
  kind: "metabase",
  label: "Metabase",
  addressHint: "e.g. https://metabase.example.com",
  settingsSchema: ZMetabaseSettings,
  secretsSchema: ZMetabaseSecrets,
  formSchema: ZFields,
  querySchema: ZMetabaseQuery,
} satisfies TConnectorSchemas;
