import { toSafeFileName } from "@/server/archive";
import { renderFileName } from "@/server/services/reports/file-name-template";
import { uniqueFileNames } from "@/server/services/reports/unique-file-names";
import type { TDeliveryContext, TDeliveryFile } from "./types";

function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf(".");
  return dot > 0
    ? { stem: name.slice(0, dot), extension: name.slice(dot + 1).toLowerCase() }
    : { stem: name, extension: "" };
}

function runIdOf(context: TDeliveryContext): string {
  if (context.runId) return context.runId;
  const run = context.summary.run;
  const id = typeof run === "object" && run !== null ? (run as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : "";
}

/**
 * The name each file gets where it is delivered, in the files' order: the template rendered with
 * the file's report name, or the file's own name, made safe for every file system and told apart
 * when two would be the same ("Sales (2).csv"), so no file of a run overwrites another.
 *
 * The file's real extension wins over the template's: `{report}.csv` names an XLSX file
 * `Sales.xlsx`, because a name that lies about its type opens in the wrong program.
 */
export function deliveryFileNames(
  files: TDeliveryFile[],
  template: string,
  context: TDeliveryContext,
): string[] {
  const date = context.date ?? new Date();
  const runId = runIdOf(context);
  const named = files.map((file, index) => {
    const own = splitExtension(file.name);
    if (template.trim() === "") {
      return { id: String(index), fileName: toSafeFileName(file.name, `file-${index + 1}`) };
    }
    const extension = own.extension || "bin";
    const templated = splitExtension(template);
    const hasOtherExtension =
      /^[a-z0-9]{1,8}$/.test(templated.extension) && templated.extension !== extension;
    const fileName = renderFileName(hasOtherExtension ? templated.stem : template, {
      report: file.report ?? own.stem,
      date,
      runId,
      timeZone: context.timeZone,
      extension,
    });
    return { id: String(index), fileName };
  });
  const unique = uniqueFileNames(named);
  return named.map((file) => unique.get(file.id)!);
}
