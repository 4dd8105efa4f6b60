/**
 * A job's title and the key the Jobs list sorts it by, written together: lower-cased (Unicode, after
 * NFC) so "apple" sorts before "Zebra" and "Äpfel" beside "apfel", through an index in list order.
 */
export function jobTitleFields(title: string): { title: string; titleSortKey: string } {
  return { title, titleSortKey: title.normalize("NFC").toLowerCase() };
}
