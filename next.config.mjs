/** What every response says about itself; pages add a Content-Security-Policy with a nonce (proxy.ts). */
const SECURITY_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  // full addresses within the app, none to other sites (job and report ids are in our paths)
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/**
 * API answers are data, never documents: downloaded files (a fetched SVG, an HTML error page kept
 * as a report) opened in a tab run no script and load nothing. Images may still show themselves.
 */
const API_POLICY =
  "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // native modules and the generated Prisma client stay as plain Node requires; node-cron finds
  // its own files next to itself
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "pg",
    "@prisma/adapter-pg",
    "node-cron",
    "@duckdb/node-api",
    "@duckdb/node-bindings",
    // SFTP deliveries: ssh2 loads an optional native addon for its ciphers
    "ssh2",
    "ssh2-sftp-client",
  ],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      { source: "/:path*", headers: SECURITY_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_POLICY }] },
      // the New batch page's sample is a file to save, as the download link says
      {
        source: "/datahaul-sample.csv",
        headers: [
          { key: "Content-Disposition", value: 'attachment; filename="datahaul-sample.csv"' },
        ],
      },
    ];
  },
};

export default nextConfig;
