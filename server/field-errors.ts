import { z, type ZodError } from "zod";

/** What is wrong with a form, per field: the field's path ("query.cardId") to one sentence. */
export type TFieldErrors = Record<string, string>;

type TRawIssue = z.core.$ZodRawIssue;

/**
 * zod's own words ("Invalid input: expected number, received undefined") as sentences a person
 * filling in a form understands. They stand next to the field, so they need not name it. A message
 * a schema sets itself ("Give the schedule a name.") wins over these.
 */
export function plainIssueMessage(issue: TRawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const input = issue.input;
      if (input === undefined || input === null || input === "") return "Fill this in.";
      if (issue.expected === "int") return "Enter a whole number.";
      if (issue.expected === "number") return "Enter a number.";
      if (issue.expected === "string") return "Enter text here.";
      if (issue.expected === "boolean") return "Choose yes or no.";
      if (issue.expected === "array") return "Enter a list (a JSON array, in [ ]).";
      if (issue.expected === "object" || issue.expected === "record")
        return "Enter an object (JSON in { }).";
      return "This value is not valid here.";
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string")
        return min <= 1 ? "Fill this in." : `Enter at least ${min} characters.`;
      if (issue.origin === "array" || issue.origin === "set")
        return min <= 1 ? "Choose at least one." : `Choose at least ${min}.`;
      return issue.inclusive === false ? `Enter more than ${min}.` : `Enter ${min} or more.`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return `Use at most ${max} characters.`;
      if (issue.origin === "array" || issue.origin === "set") return `Choose at most ${max}.`;
      return issue.inclusive === false ? `Enter less than ${max}.` : `Enter ${max} or less.`;
    }
    case "invalid_format":
      if (issue.format === "email") return "Enter an email address, like name@example.com.";
      if (issue.format === "url") return "Enter an address that starts with http:// or https://.";
      if (issue.format === "uuid" || issue.format === "guid") return "Choose one from the list.";
      return "This value is not in the expected form.";
    case "invalid_value":
      return "Choose one of the offered options.";
    case "not_multiple_of":
      return `Enter a multiple of ${String(issue.divisor)}.`;
    case "unrecognized_keys":
      return `This form sent fields the app does not know: ${issue.keys.join(", ")}.`;
    default:
      return "This value is not valid here.";
  }
}

/** Every message zod makes without one of the schema's own is a plain sentence from here on. */
export function installPlainIssueMessages(): void {
  z.config({ customError: plainIssueMessage });
}

/** The first sentence per field of a failed parse; `prefix` places a nested schema's paths. */
export function fieldErrorsOf(error: ZodError, prefix = ""): TFieldErrors {
  const errors: TFieldErrors = {};
  for (const issue of error.issues) {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    errors[path] ??= issue.message;
  }
  return errors;
}

/** The message of a whole failed form, when each field carries its own sentence too. */
export function formProblemMessage(errors: TFieldErrors): string {
  const sentences = Object.values(errors);
  const count = sentences.length;
  if (count === 1) return sentences[0]!;
  return `${count} values need a fix: see the messages next to the fields.`;
}
