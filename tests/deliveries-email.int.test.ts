// E-mail deliveries through a real SMTP server (smtp-server, test-support/smtp-sink.ts) whose
// messages mailparser reads as a mail program would: attachments byte for byte, links instead
// when the files are over the cap, STARTTLS with a certificate of our own, sign-in refusals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailDelivery } from "@/server/deliveries/email";
import type { TDeliveryFile } from "@/server/deliveries/types";
import { makeDeliveryFiles, noise } from "@/test-support/delivery-files";
import { createLoopbackCertificate } from "@/test-support/self-signed-cert";
import { startSmtpSink, type TSmtpSink } from "@/test-support/smtp-sink";

const USER = "mailer@example.com";
const PASSWORD = "smtp-password-123";
let sink: TSmtpSink;
let tlsSink: TSmtpSink;
let certificate: { key: string; cert: string };
const orders = noise(300 * 1024, 9);
const made = makeDeliveryFiles([
  { name: "Sales.csv", report: "Sales", content: "region,amount\r\nNorth,12.50\r\n" },
  {
    name: "Orders.xlsx",
    report: "Orders",
    content: orders,
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  },
]);
const summary = {
  run: {
    id: "0f3c9a12-aaaa-bbbb-cccc-123456789012",
    title: "Morning reports",
    status: "completed",
  },
  reports: [
    { report: "Sales", status: "succeeded", rows: 1234, bytes: 28, file: "Sales.csv" },
    {
      report: "Orders",
      status: "succeeded",
      rows: 56789,
      bytes: orders.length,
      file: "Orders.xlsx",
    },
    { report: "Costs", status: "failed", rows: null, bytes: null, error: "404 Not Found" },
  ],
};
const context = { summary, date: new Date("2026-11-23T09:00:00Z") };
const linkFor = (file: TDeliveryFile) =>
  `https://datahaul.example.com/d/${file.sha256.slice(0, 12)}?sig=abc`;

const settings = (server: TSmtpSink, more: Record<string, unknown> = {}) => ({
  host: server.host,
  port: server.port,
  security: "none" as const,
  username: USER,
  from: "DataHaul <reports@example.com>",
  to: "ana@example.com, ops@example.com",
  ...more,
});

beforeAll(async () => {
  certificate = createLoopbackCertificate();
  [sink, tlsSink] = await Promise.all([
    startSmtpSink({ username: USER, password: PASSWORD }),
    startSmtpSink({
      username: USER,
      password: PASSWORD,
      tls: certificate,
      refusedRecipients: ["gone@example.com"],
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([sink?.close(), tlsSink?.close()]);
  made.remove();
});

describe("e-mail delivery", () => {
  it("sends one e-mail to every recipient with the files attached and the run's summary in the text", async () => {
    const delivery = createEmailDelivery();
    const result = await delivery.deliver(
      settings(sink, { subjectTemplate: "{title} {date:yyyy-MM-dd}: {files} ({status})" }),
      { password: PASSWORD },
      made.files,
      { ...context, linkFor },
    );
    const [mail] = await sink.waitForMessages(1);
    expect(mail!.envelope).toEqual({
      from: "reports@example.com",
      to: ["ana@example.com", "ops@example.com"],
    });
    expect(mail!.user).toBe(USER);
    expect(mail!.parsed.subject).toBe("Morning reports 2026-11-23: 2 files (completed)");
    const attachments = mail!.parsed.attachments;
    expect(attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ["Sales.csv", "text/csv"],
      ["Orders.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    ]);
    expect(attachments[0]!.content.toString("utf8")).toBe("region,amount\r\nNorth,12.50\r\n");
    expect(attachments[1]!.content.equals(orders)).toBe(true);
    const text = mail!.parsed.text!;
    expect(text).toContain("Morning reports (completed)");
    expect(text).toContain("  - Sales: succeeded, 1,234 rows, 28 B");
    expect(text).toContain("  - Orders: succeeded, 56,789 rows, 300 KB");
    expect(text).toContain("  - Costs: failed, error: 404 Not Found");
    expect(text).toContain("2 files attached (300 KB in all):");
    expect(text).toContain("  - Orders.xlsx (300 KB)");
    expect(text).not.toContain("https://");
    expect(result.message).toBe(
      "e-mail sent to ana@example.com, ops@example.com with 2 files attached (300 KB)",
    );
    expect(result.files[0]!.location).toBe(
      "attached to the e-mail to ana@example.com, ops@example.com",
    );
  });

  it("sends download links instead when the files are over the attachment cap, and says so", async () => {
    sink.messages.length = 0;
    const delivery = createEmailDelivery();
    const result = await delivery.deliver(
      settings(sink, { maxAttachmentMb: 0.25, to: ["ana@example.com"] }),
      { password: PASSWORD },
      made.files,
      { ...context, linkFor },
    );
    const [mail] = await sink.waitForMessages(1);
    expect(mail!.parsed.attachments).toEqual([]);
    const text = mail!.parsed.text!;
    expect(text).toContain(
      "2 files (300 KB in all): more than the 256 KB this e-mail may carry, so they are linked below instead of attached:",
    );
    for (const file of made.files) expect(text).toContain(linkFor(file));
    expect(mail!.parsed.subject).toBe("Morning reports: 2 files from DataHaul");
    expect(result.message).toBe(
      "e-mail sent to ana@example.com with links to 2 files (300 KB, over the 256 KB attachment limit)",
    );
    expect(result.files[1]!.location).toBe("linked in the e-mail to ana@example.com");

    await expect(
      delivery.deliver(
        settings(sink, { maxAttachmentMb: 0.25 }),
        { password: PASSWORD },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      "the files come to 300 KB, over the 256 KB an e-mail may carry, and no download links can be made here: set APP_URL to the address people reach DataHaul at",
    );
  });

  it("upgrades with STARTTLS, trusting the server's certificate, and names recipients the server refused", async () => {
    const delivery = createEmailDelivery({ trustedCa: certificate.cert });
    const result = await delivery.deliver(
      settings(tlsSink, {
        security: "starttls",
        to: "ana@example.com, gone@example.com",
      }),
      { password: PASSWORD },
      made.files.slice(0, 1),
      context,
    );
    const [mail] = await tlsSink.waitForMessages(1);
    expect(mail!.isSecure).toBe(true);
    expect(mail!.envelope.to).toEqual(["ana@example.com"]);
    expect(result.message).toBe(
      "e-mail sent to ana@example.com, gone@example.com with 1 file attached (28 B); the server refused gone@example.com",
    );
    // a certificate nobody vouched for is refused, and the password never goes over plain text
    await expect(
      createEmailDelivery().deliver(
        settings(tlsSink, { security: "starttls" }),
        { password: PASSWORD },
        made.files,
        context,
      ),
    ).rejects.toThrow(`the encrypted connection to 127.0.0.1:${tlsSink.port} failed`);
    await expect(
      createEmailDelivery().deliver(
        settings(sink, { security: "starttls" }),
        { password: PASSWORD },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      `the mail server 127.0.0.1:${sink.port} does not offer STARTTLS (500 Error: command not recognized): choose TLS from the start if it listens for it (usually port 465); the password was not sent`,
    );
  });

  it("says plainly when the sign-in is refused, without the password", async () => {
    const failure = await createEmailDelivery()
      .deliver(settings(sink), { password: "wrong-password-456" }, made.files, context)
      .catch((error: unknown) => error as Error);
    expect(failure.message).toMatch(
      new RegExp(
        `^the mail server 127\\.0\\.0\\.1:${sink.port} refused the sign-in of ${USER} \\(535 `,
      ),
    );
    expect(failure.message).not.toContain("wrong-password-456");
    await expect(
      createEmailDelivery().deliver(settings(sink), {}, made.files, context),
    ).rejects.toThrow(`the password for ${USER} is missing`);
    await expect(
      createEmailDelivery().deliver(
        settings(sink, { to: "not-an-address" }),
        { password: PASSWORD },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      "The e-mail delivery's settings need a fix: to: Enter e-mail addresses, like name@example.com",
    );
  });

  it("tests the server by signing in, sending nothing", async () => {
    const before = sink.messages.length;
    expect(await createEmailDelivery().test(settings(sink), { password: PASSWORD })).toBe(
      `connected to 127.0.0.1:${sink.port} (no encryption), signed in as ${USER}; nothing was sent`,
    );
    expect(sink.messages.length).toBe(before);
  });
});
