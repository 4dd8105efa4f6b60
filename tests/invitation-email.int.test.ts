// Invitations and password links by e-mail when a mail server is set (SMTP_URL), through a real
// SMTP server (smtp-server) that wants a sign-in: the person gets the link, the link works, and a
// message the server refuses is reported to the admin without undoing the account or its link.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpSink, type TSmtpSink } from "@/test-support/smtp-sink";
import { startTestApp } from "./support/test-app";

const ORIGIN = "https://datahaul.example.com";
let sink: TSmtpSink;
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  sink = await startSmtpSink({
    username: "mailer",
    password: "mail-password",
    refusedRecipients: ["nobody@example.com"],
  });
  app = await startTestApp({
    SMTP_URL: `smtp://mailer:mail-password@${sink.host}:${sink.port}`,
    MAIL_FROM: "DataHaul <datahaul@example.com>",
  });
});

afterAll(async () => {
  await app?.stop();
  await sink?.close();
});

const services = () => import("@/server/services/accounts/users");
const mail = { origin: ORIGIN, invitedBy: "Ada Admin" };

describe("password links by e-mail", () => {
  it("e-mails an invitation whose link sets the password, then a reset link", async () => {
    const { createUser, newPasswordLink, setPasswordWithLink } = await services();
    const created = await createUser(
      { name: "Olive Operator", email: "olive@example.com", role: "operator" },
      mail,
    );
    expect(created.mail).toEqual({ isSent: true, text: "E-mailed to olive@example.com." });
    const [invitation] = await sink.waitForMessages(1);
    expect(invitation!.envelope).toEqual({
      from: "datahaul@example.com",
      to: ["olive@example.com"],
    });
    expect(invitation!.user).toBe("mailer");
    expect(invitation!.parsed.subject).toBe("You are invited to DataHaul");
    const text = invitation!.parsed.text!;
    expect(text).toContain("Ada Admin added you to DataHaul");
    expect(text).toContain(`${ORIGIN}${created.linkPath}`);
    const token = /\/set-password#([A-Za-z0-9_-]{43})/.exec(text)![1]!;
    await expect(setPasswordWithLink({ token, password: "olives-password" })).resolves.toEqual({
      email: "olive@example.com",
    });

    const reset = await newPasswordLink(created.user.id, mail);
    expect(reset.mail?.isSent).toBe(true);
    const [, second] = await sink.waitForMessages(2);
    expect(second!.parsed.subject).toBe("Set a new DataHaul password");
    expect(second!.parsed.text).toContain(`${ORIGIN}${reset.linkPath}`);
  });

  it("reports a refused message to the admin and keeps the account and its link", async () => {
    const { createUser, describePasswordLink } = await services();
    const created = await createUser(
      { name: "No Body", email: "nobody@example.com", role: "viewer" },
      mail,
    );
    expect(created.mail?.isSent).toBe(false);
    expect(created.mail?.text).toMatch(
      /^The e-mail to nobody@example\.com could not be sent \(.*No such user here.*\): give them the link yourself\.$/,
    );
    await expect(describePasswordLink(created.linkPath.split("#")[1]!)).resolves.toEqual({
      name: "No Body",
      email: "nobody@example.com",
    });
  });

  it("sends nothing when the admin did not ask for an e-mail", async () => {
    const { createUser } = await services();
    const created = await createUser({ name: "Quiet", email: "quiet@example.com", role: "viewer" });
    expect(created.mail).toBeNull();
  });
});
