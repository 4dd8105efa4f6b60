/**
 * The words of the trade the pages use, each explained in a sentence or two for someone who has
 * never run a scheduler or a queue. One place, so a term reads the same wherever it is explained
 * (`<Term>` and `<HelpText>` in ./term.tsx). Client-safe: plain data, no imports.
 */
export const GLOSSARY = {
  format_rows: {
    title: "format rows",
    text: "Metabase's “format rows” option: values come as Metabase shows them (dates spelled out, numbers with separators and currency signs). Off, you get the raw values, which spreadsheets and scripts read more reliably.",
  },
  jitter: {
    title: "jitter",
    text: "A random delay, within the minutes given, added to each run's time, so many schedules do not all hit the same system at the same minute.",
  },
  misfire: {
    title: "missed runs",
    text: "Times that passed while DataHaul was stopped. When it starts again it can run once to catch up (however many times were missed), or skip them and wait for the next time.",
  },
  lease: {
    title: "lease",
    text: "A running job (or a download) renews a short hold on its work while it is alive. If the process stops, the hold runs out after a few minutes and another process may take the work over, so nothing is lost or done twice.",
  },
  overlap: {
    title: "overlap",
    text: "A schedule's time comes while its previous run is still going. DataHaul skips that time, so one schedule never runs twice at once.",
  },
  max_attempts: {
    title: "attempts",
    text: "How many times a report is tried before it counts as failed: the first try and its retries. DataHaul waits longer before each retry, and does not retry what waiting cannot fix (a wrong password, an error in the query).",
  },
  concurrency: {
    title: "at once",
    text: "How many things are fetched at the same time. More is faster but puts more load on the system they come from; a few is kind to a small server.",
  },
  retention: {
    title: "retention",
    text: "How long finished jobs are kept. Older ones are deleted with their files, once an hour; 0 keeps them forever.",
  },
  scope: {
    title: "scope",
    text: "What an API token may do: read (see and download), run (also upload, create, start and cancel) or admin (also connectors and settings). A token never does more than its owner's role.",
  },
  retryable: {
    title: "retryable failure",
    text: "A retryable failure may go away if tried again later (a timeout, a busy server, “503 Service Unavailable”). A permanent one gets the same answer every time (404 Not Found, not an image, a wrong password), so a retry is left out unless you ask for it.",
  },
  pipeline: {
    title: "pipeline",
    text: "A chain of steps run one after the other: optionally a report run, then a transform or table, then a push to a destination or an export of files. A step that fails stops the chain.",
  },
  destination: {
    title: "destination",
    text: "A place DataHaul sends data to: a folder, S3, SFTP, e-mail or a webhook for files; Power BI or Google Sheets for rows; Slack, Teams, e-mail or a webhook for alerts.",
  },
  transform: {
    title: "transform",
    text: "A saved list of steps that reshapes a table (choose and rename columns, filter, sort, compute, group) before it is exported. The original table is never changed.",
  },
  connector: {
    title: "connector",
    text: "The address and sign-in of one outside system (Metabase, Superset, Salesforce, a URL) that reports are fetched from. Its secrets are stored encrypted and never shown again.",
  },
} as const satisfies Record<string, { title: string; text: string }>;

export type TGlossaryTerm = keyof typeof GLOSSARY;

export function isGlossaryTerm(value: string): value is TGlossaryTerm {
  return Object.hasOwn(GLOSSARY, value);
}
