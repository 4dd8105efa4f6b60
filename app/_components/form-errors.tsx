import { Alert, FieldError } from "./ui";

/** A field's path in the form's input ("query.cardId") to the sentence that says what is wrong. */
export type TFieldErrors = Record<string, string>;

/** What a failed tRPC call says per field (see the server's error formatter), or nothing. */
export function fieldErrorsOf(error: unknown): TFieldErrors {
  const data = (error as { data?: { fieldErrors?: TFieldErrors | null } | null } | null)?.data;
  return data?.fieldErrors ?? {};
}

/** The sentence for one field, under it, tied to the input by `id` for screen readers. */
export function FieldProblem({
  errors,
  path,
  id,
}: {
  errors: TFieldErrors;
  path: string;
  id?: string;
}) {
  const problem = errors[path];
  return problem ? <FieldError id={id}>{problem}</FieldError> : null;
}

/**
 * What went wrong with a save, above the buttons: each field's sentence after the field's label
 * (the sentence under a field does not name it), a field this form does not show included, so
 * none is lost; or the server's message when no field is to blame.
 */
export function FormProblem({
  message,
  errors,
  labels,
}: {
  message: string | null | undefined;
  errors: TFieldErrors;
  /** the label of each field the form shows, by path */
  labels: Record<string, string>;
}) {
  if (!message) return null;
  const entries = Object.entries(errors);
  if (entries.length === 0) return <Alert>{message}</Alert>;
  return (
    <Alert>
      <p>{entries.length === 1 ? "Please fix this value:" : "Please fix these values:"}</p>
      <ul className="mt-1 list-disc pl-5">
        {entries.map(([path, sentence]) => (
          <li key={path}>{labels[path] ? `${labels[path]}: ${sentence}` : sentence}</li>
        ))}
      </ul>
    </Alert>
  );
}
