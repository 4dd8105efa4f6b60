import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CONNECTOR_SCHEMAS } from "../connectors/kind-schemas";
import { metabaseSchemas } from "../connectors/metabase/schemas";
import {
  checkFormText,
  defaultFormText,
  formFieldsOf,
  FormTextError,
  fromFormText,
  inSentence,
  isShown,
  toFormText,
} from "./schema-fields";

const byName = (fields: ReturnType<typeof formFieldsOf>) =>
  Object.fromEntries(fields.map((field) => [field.name, field]));

describe("forms generated from schemas", () => {
  it("reads each field's kind, label, help, choices and default from the schema", () => {
    const fields = byName(
      formFieldsOf(
        z.object({
          mode: z
            .enum(["a", "b"])
            .default("b")
            .meta({ title: "Mode", options: { a: "First way" } }),
          count: z.number().int().meta({ title: "Count", description: "how many" }),
          isOn: z.boolean().default(true).meta({ title: "On" }),
          note: z.string().optional().meta({ widget: "textarea" }),
          list: z.array(z.string()).default([]),
        }),
      ),
    );
    expect(fields.mode).toMatchObject({
      type: "select",
      label: "Mode",
      defaultValue: "b",
      options: [
        { value: "a", label: "First way" },
        { value: "b", label: "b" },
      ],
    });
    expect(fields.count).toMatchObject({ type: "number", label: "Count", help: "how many" });
    expect(fields.isOn).toMatchObject({ type: "checkbox", defaultValue: true });
    expect(fields.note).toMatchObject({ type: "textarea", label: "note" });
    expect(fields.list).toMatchObject({ type: "json" });
  });

  it("turns a discriminated union into a choice and shows each option's own fields only with it", () => {
    const fields = formFieldsOf(metabaseSchemas.querySchema);
    expect(fields.map((field) => field.name)).toEqual([
      "target",
      "cardId",
      "parameters",
      "formatRows",
      "dashboardId",
      "dashcardId",
    ]);
    const { target, cardId, dashboardId } = byName(fields);
    expect(target).toMatchObject({
      type: "select",
      label: "Export",
      defaultValue: "card",
      options: [
        { value: "card", label: "A saved question (card)" },
        { value: "dashcard", label: "A card on a dashboard" },
      ],
    });
    expect(cardId!.showIf).toBeUndefined();
    expect(dashboardId!.showIf).toEqual({ field: "target", values: ["dashcard"] });
    expect(isShown(dashboardId!, { target: "card" })).toBe(false);
    expect(isShown(dashboardId!, { target: "dashcard" })).toBe(true);
  });

  it("keeps a connector's settings and secrets in one order, secrets typed into hidden boxes", () => {
    const { formSchema, secretsSchema } = CONNECTOR_SCHEMAS.salesforce;
    const secretNames = formFieldsOf(secretsSchema).map((field) => field.name);
    const fields = formFieldsOf(formSchema, secretNames);
    expect(fields.map((field) => `${field.name}:${field.type}`)).toEqual([
      "authMethod:select",
      "loginUrl:text",
      "clientId:text",
      "clientSecret:password",
      "username:text",
      "privateKeyPem:textarea",
      "sessionId:password",
      "apiVersion:text",
      "fullExport:checkbox",
    ]);
    expect(byName(fields).loginUrl).toMatchObject({
      label: "Login URL",
      isAddress: true,
      showIf: { field: "authMethod", values: ["client_credentials", "jwt"] },
    });
  });

  it("every kind's connector form has every setting and secret, and nothing else", () => {
    for (const schemas of Object.values(CONNECTOR_SCHEMAS)) {
      const names = (schema: z.ZodType) => formFieldsOf(schema).map((field) => field.name);
      expect(names(schemas.formSchema).sort()).toEqual(
        [...names(schemas.settingsSchema), ...names(schemas.secretsSchema)].sort(),
      );
    }
  });

  it("goes from values to form text and back, leaving hidden and empty boxes to the defaults", () => {
    const fields = formFieldsOf(metabaseSchemas.querySchema);
    const query = {
      target: "dashcard",
      dashboardId: 3,
      dashcardId: 9,
      cardId: 42,
      parameters: [{ id: "p1", value: "EU" }],
      formatRows: true,
    };
    const text = toFormText(fields, query);
    expect(text).toMatchObject({ dashboardId: "3", parameters: '[{"id":"p1","value":"EU"}]' });
    expect(fromFormText(fields, text)).toEqual(query);
    expect(fromFormText(fields, { ...text, target: "card" })).toEqual({
      target: "card",
      cardId: 42,
      parameters: [{ id: "p1", value: "EU" }],
      formatRows: true,
    });
    const start = defaultFormText(fields);
    expect(start).toEqual({ target: "card", parameters: "", formatRows: false });
    expect(
      metabaseSchemas.querySchema.parse(fromFormText(fields, { ...start, cardId: "7" })),
    ).toEqual({ target: "card", cardId: 7, parameters: [], formatRows: false });
  });

  it("says in a sentence which JSON box does not parse", () => {
    const fields = formFieldsOf(metabaseSchemas.querySchema);
    let thrown: unknown;
    try {
      fromFormText(fields, { target: "card", cardId: "1", parameters: '[{"type": }]' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FormTextError);
    expect(thrown).toMatchObject({
      field: "parameters",
      message: expect.stringMatching(/not valid JSON/),
    });
  });

  it("checks a box by its own schema, in the app's words, and leaves an empty box alone", () => {
    const http = byName(formFieldsOf(CONNECTOR_SCHEMAS.http.formSchema));
    expect(checkFormText(http.headerName!, "X Api Key")).toMatch(
      /^The header name "X Api Key" is not valid/,
    );
    expect(checkFormText(http.headerName!, "X-Api-Key")).toBeNull();
    expect(checkFormText(http.headerName!, "")).toBeNull();
    const metabase = byName(formFieldsOf(metabaseSchemas.querySchema));
    expect(checkFormText(metabase.cardId!, "1.5")).toBe("Enter a whole number.");
    expect(checkFormText(metabase.cardId!, "0")).toBe("Enter more than 0.");
    expect(checkFormText(metabase.parameters!, "[")).toMatch(/not valid JSON/);
  });

  it("puts a label inside a sentence without lowering an abbreviation", () => {
    expect(inSentence("Password")).toBe("password");
    expect(inSentence("API key")).toBe("API key");
    expect(inSentence("URL to fetch")).toBe("URL to fetch");
  });
});
