// A local S3-compatible server (s3rver, from npm) in a process of its own, on 127.0.0.1 and a free
// port. argv: <folder> <bucket>. Prints {"port":N} once it listens; stops on SIGTERM.
import S3rver from "s3rver";

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
