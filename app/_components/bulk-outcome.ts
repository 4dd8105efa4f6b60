/** A bulk action's result in a sentence: "Deleted 3 jobs." or "Retried 1 of 2 jobs; 1 left: …". */
export function describeBulkOutcome(
  verb: string,
  noun: string,
  outcome: { done: number; refused: Array<{ id: string; reason: string }> },
): { text: string; isAllDone: boolean } {
  const plural = (n: number) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const total = outcome.done + outcome.refused.length;
  if (outcome.refused.length === 0) return { text: `${verb} ${plural(total)}.`, isAllDone: true };
  const reasons = [...new Set(outcome.refused.map((r) => r.reason))].slice(0, 2).join(" ");
  return {
    text: `${verb} ${outcome.done} of ${plural(total)}; ${outcome.refused.length} left as ${outcome.refused.length === 1 ? "it was" : "they were"}: ${reasons}`,
    isAllDone: false,
  };
}
