import { z } from "@/server/forms/zod";
import { inSentence } from "../forms/schema-fields";

// What may travel in an HTTP header, as schemas the connector settings, the save service and the
// browser's form share: a bad header is refused when a connector is saved, in words that name it,
// not later as a failed request.

/** RFC 9110's token: the characters a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A line break ends a header (and smuggles in another); NUL is refused by every HTTP client. */
const BREAKS_A_HEADER = /[\r\n\0]/;

export function headerNameProblem(name: string): string | null {
  return TOKEN.test(name)
    ? null
    : `The header name ${JSON.stringify(name)} is not valid: use letters, digits and - only, without spaces or a colon.`;
}

export function headerValueProblem(name: string, value: string): string | null {
  return BREAKS_A_HEADER.test(value)
    ? `The value of the header ${JSON.stringify(name)} contains a line break; a header is one line, so remove it.`
    : null;
}

/** A header name, or "" where none is needed. */
export const ZHeaderName = z
  .string()
  .trim()
  .default("")
  .superRefine((name, ctx) => {
    const problem = name === "" ? null : headerNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Headers by name, each checked, with the header named in the message. */
export const ZHeaders = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      const problem = headerNameProblem(name) ?? headerValueProblem(name, value);
      if (problem) ctx.addIssue({ code: "custom", message: problem, path: [name] });
    }
  });

/** A secret sent as (part of) a header: named by its label, never quoted. */
export function secretHeaderValue(label: string) {
  return z
    .string()
    .refine((value) => !BREAKS_A_HEADER.test(value), {
      message: `The ${inSentence(label)} contains a line break; it is sent in a one-line header, so remove it.`,
    })
    .optional()
    .meta({ title: label });
}
