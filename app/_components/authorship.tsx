import type { TAuthorship } from "@/server/services/accounts/authorship";

/** "added by Ada · changed by Bob", or nothing for rows from before anyone was recorded. */
export function authorshipText({ createdByName, updatedByName }: TAuthorship): string {
  if (createdByName && updatedByName && createdByName !== updatedByName)
    return `added by ${createdByName} · changed by ${updatedByName}`;
  if (createdByName) return `added by ${createdByName}`;
  return updatedByName ? `changed by ${updatedByName}` : "";
}

export function Authorship({ of }: { of: TAuthorship }) {
  const text = authorshipText(of);
  return text ? <p className="truncate text-xs text-slate-500">{text}</p> : null;
}
