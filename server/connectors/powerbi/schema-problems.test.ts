import { describe, expect, it } from "vitest";
import { schemaProblems } from "./index";

describe("a Power BI table checked against ours before a push", () => {
  it("matches Power BI's type names in any case, and its bool alias", () => {
    expect(
      schemaProblems(
        [
          { name: "id", dataType: "int64" },
          { name: "ok", dataType: "bool" },
          { name: "at", dataType: "datetime" },
          { name: "name", dataType: "string" },
        ],
        [
          { name: "id", type: "integer" },
          { name: "ok", type: "boolean" },
          { name: "at", type: "date" },
          { name: "name", type: "text" },
        ],
      ),
    ).toEqual([]);
  });

  it("names every missing, extra and differently typed column", () => {
    expect(
      schemaProblems(
        [
          { name: "id", dataType: "String" },
          { name: "legacy", dataType: "Double" },
        ],
        [
          { name: "id", type: "integer" },
          { name: "amount", type: "number" },
        ],
      ),
    ).toEqual([
      'column "id" is String in Power BI but Int64 (integer) here',
      'column "amount" is not in the dataset\'s table',
      'the dataset\'s column "legacy" is not in the table',
    ]);
  });
});
