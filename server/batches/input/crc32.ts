/** CRC-32 (the ZIP polynomial), fed a chunk at a time; pure, so the browser's worker has it too. */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC of `previous`'s bytes followed by `chunk`'s; start with 0. */
export function updateCrc32(previous: number, chunk: Uint8Array): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < chunk.length; i++) crc = TABLE[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
