import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fresh key and self-signed certificate for `localhost` only (no IP address in it), made with
 * the openssl command line: nothing secret is kept in the repository.
 */
export function createLocalhostCertificate(): { key: string; cert: string } {
  return createSelfSignedCertificate("localhost", "DNS:localhost");
}

/**
 * The same for the address 127.0.0.1 itself, for clients that resolve host names on their own
 * (nodemailer asks the DNS server before the hosts file): given the IP address they resolve
 * nothing, so no test query leaves the machine, and the certificate still verifies.
 */
export function createLoopbackCertificate(): { key: string; cert: string } {
  return createSelfSignedCertificate("127.0.0.1", "IP:127.0.0.1");
}

function createSelfSignedCertificate(
  commonName: string,
  subjectAltName: string,
): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "datahaul-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${commonName}`,
        "-addext",
        `subjectAltName=${subjectAltName}`,
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "pipe" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
