import { describe, expect, it } from "vitest";
import type { ConnectorHttp } from "@/server/connectors/connector-http";
import { createDeliveryKinds, DELIVERY_KIND_NAMES } from "./index";

describe("delivery kinds", () => {
  it("lists every kind by its name, each with forms for its settings and secrets", () => {
    const kinds = createDeliveryKinds({
      folderRoot: "/srv/exports",
      http: { withOptions: () => ({}) } as unknown as ConnectorHttp,
    });
    expect(Object.keys(kinds)).toEqual([...DELIVERY_KIND_NAMES]);
    for (const name of DELIVERY_KIND_NAMES) {
      expect(kinds[name].kind).toBe(name);
      expect(kinds[name].label).not.toBe("");
      expect(kinds[name].settingsSchema.safeParse).toBeTypeOf("function");
      expect(kinds[name].secretsSchema.safeParse).toBeTypeOf("function");
    }
    expect(kinds.folder.settingsSchema.parse({})).toEqual({ subPath: "", fileNameTemplate: "" });
    expect(
      kinds.email.settingsSchema.parse({
        host: "smtp.example.com",
        from: "a@example.com",
        to: "b@example.com;c@example.com",
      }),
    ).toMatchObject({
      port: 587,
      security: "starttls",
      to: ["b@example.com", "c@example.com"],
      maxAttachmentMb: 10,
    });
  });

  it("keeps secrets out of settings: each secret field is in the secrets schema only", () => {
    const kinds = createDeliveryKinds({
      folderRoot: undefined,
      http: { withOptions: () => ({}) } as unknown as ConnectorHttp,
    });
    const fieldsOf = (schema: unknown) => Object.keys((schema as { shape: object }).shape);
    expect(fieldsOf(kinds.s3.secretsSchema)).toEqual(["secretAccessKey"]);
    expect(fieldsOf(kinds.email.secretsSchema)).toEqual(["password"]);
    expect(fieldsOf(kinds.webhook.secretsSchema)).toEqual(["signingSecret"]);
    for (const name of DELIVERY_KIND_NAMES) {
      const settings = fieldsOf(kinds[name].settingsSchema);
      expect(
        settings.filter((field) => /password|secret|privateKey|passphrase/i.test(field)),
      ).toEqual([]);
    }
  });
});
