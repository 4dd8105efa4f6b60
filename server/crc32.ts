import { crc32 } from "node:zlib";

/**
 * CRC-32 of `data` continuing from `previous`. Node 20's zlib.crc32 returns 0 for an empty view
 * whose ArrayBuffer is empty, wiping the running value; undici hands over such chunks inside bodies
 * of 128 KB and more, which gave those files a wrong CRC in every ZIP.
 */
export function updateCrc32(data: Uint8Array, previous = 0): number {
  return data.byteLength === 0 ? previous : crc32(data, previous);
}
