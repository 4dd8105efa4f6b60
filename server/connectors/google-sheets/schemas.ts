import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";

// What a Google Sheets destination is made of: the server validates with these and the browser's
// forms are generated from them, so this file must stay free of server-only imports.

/** The parts of a service-account key file a sign-in needs. */
export const ZServiceAccountKey = z.object({
  type: z.literal(
    "service_account",
    "this is not a service-account key (its type is not service_account)",
  ),
  client_email: z.string().min(3, "the key has no client_email"),
  private_key: z.string().includes("PRIVATE KEY", "the key has no private_key"),
  private_key_id: z.string().optional(),
  token_uri: z
    .url("the key's token_uri is not an address")
    .default("https://oauth2.googleapis.com/token"),
});
export type TServiceAccountKey = z.infer<typeof ZServiceAccountKey>;

/** The key as pasted: JSON of a service-account key, or a plain sentence saying what is wrong. */
export function parseServiceAccountKey(
  text: string,
): { ok: true; key: TServiceAccountKey } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "The service account key is not JSON: paste the whole key file." };
  }
  const parsed = ZServiceAccountKey.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problem: `The service account key is not usable: ${parsed.error.issues[0]!.message}.`,
    };
  }
  return { ok: true, key: parsed.data };
}

/** "1AbC…" from the id itself or any URL of the spreadsheet. */
export function spreadsheetIdOf(text: string): string | null {
  const trimmed = text.trim();
  // a browser signed in to several accounts shows /spreadsheets/u/1/d/ID
  const fromUrl = /\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]{10,})/.exec(trimmed);
  if (fromUrl) return fromUrl[1]!;
  return /^[A-Za-z0-9_-]{10,}$/.test(trimmed) ? trimmed : null;
}

const ZFields = z.object({
  spreadsheet: z
    .string()
    .trim()
    .refine((value) => spreadsheetIdOf(value) !== null, "Paste the spreadsheet's URL or its id.")
    .meta({
      title: "Spreadsheet (URL or id)",
      placeholder: "https://docs.google.com/spreadsheets/d/1AbC…/edit",
    }),
  sheetName: z
    .string()
    .trim()
    .min(1, "Name the sheet (tab) the rows go to.")
    .max(100, "A sheet name has at most 100 characters.")
    .default("Sheet1")
    .meta({ title: "Sheet (tab)", description: "Created when it does not exist yet." }),
  serviceAccountKey: z
    .string()
    .optional()
    .refine((value) => !value || parseServiceAccountKey(value).ok, {
      error: (issue) => {
        const parsed = parseServiceAccountKey(String(issue.input));
        return parsed.ok ? "" : parsed.problem;
      },
    })
    .meta({
      title: "Service account key (JSON)",
      widget: "textarea",
      acceptsFile: ".json,application/json",
      description:
        "The key file of a Google Cloud service account with the Sheets API enabled. Share the spreadsheet with the account's email as an Editor.",
    }),
});
const SECRETS = { serviceAccountKey: true } as const;
export const ZGoogleSheetsSettings = ZFields.omit(SECRETS);
export const ZGoogleSheetsSecrets = ZFields.pick(SECRETS);

export const googleSheetsSchemas = {
  kind: "google-sheets",
  label: "Google Sheets",
  addressHint: "https://sheets.googleapis.com",
  defaultAddress: "https://sheets.googleapis.com",
  isAddressOptional: true,
  settingsSchema: ZGoogleSheetsSettings,
  secretsSchema: ZGoogleSheetsSecrets,
  formSchema: ZFields,
  destination: {
    takesRows: true,
    canRefresh: false,
    takesFiles: false,
    note: "Replace clears the sheet and writes the table; append adds its rows under the last one. Google allows 60 writes a minute per service account and 10 million cells per spreadsheet; DataHaul paces its writes to that and refuses a table that would not fit.",
  },
} satisfies TConnectorSchemas;
