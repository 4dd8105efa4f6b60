/** @type {import('next').NextConfig} */
const nextConfig = {
  // native modules and the generated Prisma client stay as plain Node requires
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
