import { describe, expect, it } from "vitest";
import { headerProblems } from "./index";
import { parseServiceAccountKey, spreadsheetIdOf } from "./schemas";

describe("a Google Sheets destination's settings", () => {
  it("takes the spreadsheet's id from any of its URLs, or the id itself", () => {
    const id = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd";
    expect(spreadsheetIdOf(`https://docs.google.com/spreadsheets/d/${id}/edit#gid=0`)).toBe(id);
    expect(spreadsheetIdOf(`https://docs.google.com/spreadsheets/u/1/d/${id}/htmlview`)).toBe(id);
    expect(spreadsheetIdOf(`  ${id} `)).toBe(id);
    expect(spreadsheetIdOf("https://docs.google.com/document/d/short")).toBeNull();
    expect(spreadsheetIdOf("my sheet")).toBeNull();
  });

  it("says in one sentence what is wrong with a pasted key", () => {
    expect(parseServiceAccountKey("not json")).toEqual({
      ok: false,
      problem: "The service account key is not JSON: paste the whole key file.",
    });
    expect(parseServiceAccountKey(JSON.stringify({ type: "authorized_user" }))).toEqual({
      ok: false,
      problem:
        "The service account key is not usable: this is not a service-account key (its type is not service_account).",
    });
    const parsed = parseServiceAccountKey(
      JSON.stringify({
        type: "service_account",
        client_email: "robot@project.iam.gserviceaccount.com",
        private_key: "-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----\n",
      }),
    );
    expect(parsed.ok && parsed.key.token_uri).toBe("https://oauth2.googleapis.com/token");
  });

  it("lists every difference between a sheet's header and the table's columns", () => {
    expect(headerProblems(["a", "b", "", ""], ["a", "b"])).toEqual([]);
    expect(headerProblems(["a", "c"], ["a", "b"])).toEqual(['missing "b"', 'not in the table "c"']);
    expect(headerProblems(["b", "a"], ["a", "b"])).toEqual([
      "the order differs (sheet: b, a; table: a, b)",
    ]);
  });
});
