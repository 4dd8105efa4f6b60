// "server-only" throws outside a React Server Component bundle; tests run plain Node.
export {};
