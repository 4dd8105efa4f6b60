/** What the operating system's codes mean for the store, in the words a job page shows. */
const STORAGE_ERRORS: Record<string, string> = {
  ENOSPC: "no space left on the disk",
  EDQUOT: "the disk quota is used up",
  EROFS: "the volume is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EIO: "the disk reported an input/output error",
  ENOENT: "a folder of the store is missing",
  ENOTDIR: "a folder of the store is not a folder",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
};

/** A file system error in plain words with its code ("no space left on the disk, ENOSPC"), or its message. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code && STORAGE_ERRORS[code]) return `${STORAGE_ERRORS[code]}, ${code}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Why our side could not go on, for a paused job's page: "storage is not writable (no space left
 * on the disk, ENOSPC)". The database's own refusals read the same way.
 */
export function describeStorageFault(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code && STORAGE_ERRORS[code]) return `storage is not writable (${describeFileError(error)})`;
  const message = error instanceof Error ? error.message : String(error);
  // SQLite's words, or PostgreSQL's (Prisma quotes its SQLSTATE: 53100 disk_full, 25006
  // read_only_sql_transaction, 58030 io_error)
  if (/database or disk is full|SQLITE_FULL|No space left on device|`53100`/i.test(message))
    return "the database could not be written (the disk is full)";
  if (/readonly database|SQLITE_READONLY|read-only transaction|`25006`/i.test(message))
    return "the database could not be written (it is read-only)";
  if (/disk I\/O error|SQLITE_IOERR|`58030`/i.test(message))
    return "the database could not be written (a disk input/output error)";
  return `our side failed: ${message.split("\n")[0]!.slice(0, 200)}`;
}
