import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldErrorsOf, formProblemMessage, plainIssueMessage } from "./field-errors";

const ZForm = z.object({
  name: z.string().trim().min(1, "Give the schedule a name."),
  intervalMinutes: z.number().int().min(1).max(10_080),
  address: z.url(),
  query: z.object({ cardId: z.number().int() }),
  kind: z.enum(["interval", "cron"]),
  reportIds: z.array(z.uuid()).min(1),
});

function errorsFor(input: unknown) {
  const result = ZForm.safeParse(input, { error: plainIssueMessage });
  if (result.success) throw new Error("expected the input to be refused");
  return fieldErrorsOf(result.error);
}

describe("zod issues as sentences per field", () => {
  it("gives every field a sentence and keeps a schema's own message", () => {
    const errors = errorsFor({
      name: " ",
      intervalMinutes: 0,
      address: "metabase.example.com",
      query: {},
      kind: "weekly",
      reportIds: [],
    });
    expect(errors).toEqual({
      name: "Give the schedule a name.",
      intervalMinutes: "Enter 1 or more.",
      address: "Enter an address that starts with http:// or https://.",
      "query.cardId": "Fill this in.",
      kind: "Choose one of the offered options.",
      reportIds: "Choose at least one.",
    });
    for (const sentence of Object.values(errors)) {
      expect(sentence).not.toMatch(/expected|received|\[\{/i);
      expect(sentence).toMatch(/^[A-Z].*\.$/);
    }
  });

  it("says what kind of number it wants", () => {
    expect(errorsFor({ intervalMinutes: 1.5 }).intervalMinutes).toBe("Enter a whole number.");
    expect(errorsFor({ intervalMinutes: "ten" }).intervalMinutes).toBe("Enter a number.");
    expect(errorsFor({ intervalMinutes: 20_000 }).intervalMinutes).toBe("Enter 10080 or less.");
  });

  it("places a nested schema's fields under a prefix, and sums a form up in one sentence", () => {
    const result = z.object({ cardId: z.number() }).safeParse({}, { error: plainIssueMessage });
    const errors = fieldErrorsOf(result.error!, "query");
    expect(errors).toEqual({ "query.cardId": "Fill this in." });
    expect(formProblemMessage(errors)).toBe("Fill this in.");
    expect(formProblemMessage({ a: "One.", b: "Two." })).toBe(
      "2 values need a fix: see the messages next to the fields.",
    );
  });
});
