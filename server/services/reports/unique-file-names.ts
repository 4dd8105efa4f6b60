/** Two files may render the same name; the second becomes "name (2).csv". Keyed by file id. */
export function uniqueFileNames(
  files: Array<{ id: string; fileName: string }>,
): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const file of files) {
    let name = file.fileName;
    const dot = name.lastIndexOf(".");
    const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${stem} (${n})${extension}`;
    taken.add(name.toLowerCase());
    names.set(file.id, name);
  }
  return names;
}
