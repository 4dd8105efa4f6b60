import { z } from "zod";

// Schemas the browser imports come from here. zod probes for eval when it builds an object schema
// (to compile a fast parser); our CSP forbids eval, and the browser reports even a caught probe
// as a violation. Only the browser goes without: the server keeps the compiled parsers.
if (typeof window !== "undefined") z.config({ jitless: true });

export { z };
