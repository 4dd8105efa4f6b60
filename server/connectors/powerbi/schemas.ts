import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";

// What a Power BI destination is made of: the server validates with these and the browser's forms
// are generated from them, so this file must stay free of server-only imports.

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: string) => GUID.test(value.trim());

const ZFields = z.object({
  tenantId: z
    .string()
    .trim()
    .min(1, "Give the tenant (directory) id or domain.")
    .meta({ title: "Tenant id", placeholder: "contoso.onmicrosoft.com or its GUID" }),
  clientId: z
    .string()
    .trim()
    .refine(isGuid, "The client id is the app registration's Application (client) ID, a GUID.")
    .meta({ title: "Client id (application id)" }),
  clientSecret: z.string().optional().meta({ title: "Client secret" }),
  workspaceId: z
    .string()
    .trim()
    .refine(isGuid, "The workspace id is the GUID after /groups/ in the workspace's URL.")
    .meta({ title: "Workspace id", placeholder: "the GUID after /groups/ in its URL" }),
  dataset: z.string().trim().min(1, "Name the dataset (semantic model), or give its id.").meta({
    title: "Dataset (name or id)",
    description: "A push dataset of that name is created on the first push when there is none.",
  }),
  tableName: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .default("Data")
    .meta({ title: "Table", description: "The table of the push dataset the rows go to." }),
  authorityHost: z.string().trim().default("https://login.microsoftonline.com").meta({
    title: "Sign-in host",
    isCredentialAddress: true,
    description: "Microsoft Entra ID's sign-in host; another only for a national cloud.",
  }),
});
const SECRETS = { clientSecret: true } as const;
export const ZPowerBiSettings = ZFields.omit(SECRETS);
export const ZPowerBiSecrets = ZFields.pick(SECRETS);

export const powerBiSchemas = {
  kind: "powerbi",
  label: "Power BI",
  addressHint: "https://api.powerbi.com",
  defaultAddress: "https://api.powerbi.com",
  isAddressOptional: true,
  settingsSchema: ZPowerBiSettings,
  secretsSchema: ZPowerBiSecrets,
  formSchema: ZFields,
  destination: {
    takesRows: true,
    canRefresh: true,
    takesFiles: false,
    note: "A push dataset takes rows (at most 10,000 a request, 120 requests a minute and 1,000,000 rows an hour; DataHaul paces to that). Microsoft stops the creation of new push datasets on 31 October 2027: for an imported dataset, use Refresh instead, which asks Power BI to reload it from its own source.",
  },
} satisfies TConnectorSchemas;
