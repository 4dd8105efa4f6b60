/**
 * Limits of what New batch reads, in one place for the page, the API and the ZIP reader (pure, so
 * the browser's worker shares it).
 */

/** The largest upload, and the largest pasted or read text (64 MB). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** The most entries a ZIP upload may list: a zipped folder with the sheet and its pictures fits. */
export const MAX_ZIP_ENTRIES = 10_000;
/**
 * The most bytes the spreadsheets in a ZIP may unpack to, all together: what a direct upload may
 * hold, so a ZIP never lets more in than the file itself would.
 */
export const MAX_UNPACKED_BYTES = MAX_UPLOAD_BYTES;
