/** Offered as a download so users can see the expected columns; must pass analysis cleanly. */
export const SAMPLE_CSV = [
  "Product Number,Image Src",
  "SHOE-001,https://example.com/images/shoe-001-front.jpg",
  "SHOE-001,https://example.com/images/shoe-001-side.jpg",
  "BAG_042,https://example.com/images/bag-042.png",
  "HAT-7,https://example.com/images/hat-7.webp",
  "",
].join("\r\n");
