/**
 * UUIDs of version 7 (RFC 9562): a millisecond timestamp first, so ids made one after another sort
 * one after another. A batch's products and items are inserted a chunk per transaction; with
 * random (version 4) ids every chunk touched pages all over the primary-key indexes, and each
 * commit cost more as the table grew. Within a millisecond a counter keeps them in order.
 */
let lastMs = 0;
let counter = 0;

export function createSortableId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next one, still in order
    lastMs++;
    counter = 0;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
