export async function register() {
  // the worker and scheduler run in the Node.js server process, never in the edge runtime
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startServerRuntime } = await import("./server/boot");
    await startServerRuntime();
  }
}
