import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";
import { secretHeaderValue } from "../http-header";

// What a Salesforce connector and its reports are made of: the server validates with these and
// the browser's forms are generated from them, so this file must stay free of server-only imports.

const signInWith = (...values: string[]) => ({ showIf: { field: "authMethod", values } });

const ZFields = z.object({
  authMethod: z
    .enum(["client_credentials", "jwt", "session_id"])
    .default("client_credentials")
    .meta({
      title: "Sign in with",
      options: {
        client_credentials: "OAuth client credentials",
        jwt: "OAuth JWT bearer (certificate)",
        session_id: "A pasted session id (fallback)",
      },
    }),
  /** token endpoint host: the org's My Domain, https://login.salesforce.com or https://test.salesforce.com */
  loginUrl: z
    .string()
    .trim()
    .default("")
    .meta({
      title: "Login URL",
      isCredentialAddress: true,
      placeholder: "defaults to the address above",
      description:
        "For JWT: https://login.salesforce.com, https://test.salesforce.com or your My Domain.",
      ...signInWith("client_credentials", "jwt"),
    }),
  /** the connected app's consumer key */
  clientId: z
    .string()
    .trim()
    .default("")
    .meta({ title: "Consumer key", ...signInWith("client_credentials", "jwt") }),
  clientSecret: z
    .string()
    .optional()
    .meta({ title: "Consumer secret", ...signInWith("client_credentials") }),
  /** the Salesforce user a JWT bearer token is issued for */
  username: z
    .string()
    .trim()
    .default("")
    .meta({ title: "Salesforce user name", ...signInWith("jwt") }),
  privateKeyPem: z
    .string()
    .optional()
    .meta({ title: "Private key (PEM)", widget: "textarea", ...signInWith("jwt") }),
  sessionId: secretHeaderValue("Session id (sid)").meta({
    description: "Expires with your browser session; paste a new one when runs say so.",
    ...signInWith("session_id"),
  }),
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d$/, "an API version looks like v62.0")
    .default("v62.0")
    .meta({ title: "API version" }),
  /** fetch reports over 2,000 rows through the report export, which has no row cap */
  fullExport: z
    .boolean()
    .default(true)
    .meta({ title: "Fetch reports over 2,000 rows through the report export (no row cap)" }),
});
const SECRETS = { clientSecret: true, privateKeyPem: true, sessionId: true } as const;
export const ZSalesforceSettings = ZFields.omit(SECRETS);
export const ZSalesforceSecrets = ZFields.pick(SECRETS);

export const ZSalesforceQuery = z.object({
  reportId: z
    .string()
    .regex(
      /^00O[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/,
      "a report id starts with 00O and has 15 or 18 characters",
    )
    .meta({ title: "Report id", placeholder: "00O5e000008abcdEAA" }),
});

export const salesforceSchemas = {
  kind: "salesforce",
  label: "Salesforce",
  addressHint: "your org's My Domain, e.g. https://acme.my.salesforce.com",
  settingsSchema: ZSalesforceSettings,
  secretsSchema: ZSalesforceSecrets,
  formSchema: ZFields,
  querySchema: ZSalesforceQuery,
} satisfies TConnectorSchemas;
