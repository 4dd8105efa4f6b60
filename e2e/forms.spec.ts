import fs from "node:fs";
import path from "node:path";
import { type Locator } from "@playwright/test";
import { createReport, openForm, trpcMutation } from "./support/api";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

test("a cleared or half-typed time zone is a message under the field, and the form stays", async ({
  page,
}) => {
  await signIn(page, "/schedules");
  await createReport(page, "Zone report");
  await page.reload();
  const form = await openForm(page, "Add schedule", "Schedule");
  await form.getByLabel("Name").fill("Zone check");
  await form.getByRole("checkbox", { name: /Zone report/ }).check();
  await form.getByLabel("Cron expression").check();
  const zone = form.getByLabel("Time zone");
  const nextRuns = page.getByTestId("next-runs");
  await zone.fill("Europe/Berlin");
  await expect(page.getByTestId("next-run")).toHaveCount(5);

  await zone.fill("");
  await expect(form.getByText("Choose a time zone from the list")).toBeVisible();
  await expect(zone).toHaveAttribute("aria-invalid", "true");
  await expect(nextRuns).toContainText("Cannot show the next runs until the time zone is valid.");
  await expect(page.getByTestId("next-run")).toHaveCount(0);

  await zone.pressSequentially("Europe/Ber");
  await expect(
    form.getByText("“Europe/Ber” is not a time zone: choose one from the list"),
  ).toBeVisible();
  await expect(nextRuns).toContainText("Cannot show the next runs until the time zone is valid.");
  // the page did not fall over: what was typed is all still there
  await expect(form.getByLabel("Name")).toHaveValue("Zone check");
  await expect(page.getByText(/This page couldn.t load/)).toHaveCount(0);
  await page.screenshot({ path: path.join(shots, "schedule-zone-problem.png"), fullPage: true });

  // the list offers the zones (UTC among them), and finishing the name brings the preview back
  await expect(page.locator("datalist#time-zones option[value='UTC']")).toHaveCount(1);
  await expect(page.locator("datalist#time-zones option[value='Europe/Berlin']")).toHaveCount(1);
  await zone.pressSequentially("lin");
  await expect(form.getByText("is not a time zone")).toHaveCount(0);
  await expect(page.getByTestId("next-run")).toHaveCount(5);
  await form.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByTestId("schedule-row").filter({ hasText: "Zone check" })).toContainText(
    "in Europe/Berlin",
  );
});

test("bad values get a sentence next to their field, never zod's words", async ({ page }) => {
  await signIn(page, "/connectors");
  const noZodWords = async (form: Locator) => {
    const text = await form.innerText();
    expect(text).not.toContain("[{");
    expect(text).not.toMatch(/expected|received|invalid input/i);
  };

  await test.step("connector: an address without http://", async () => {
    const form = await openForm(page, "Add connector", "Connector");
    await form.getByLabel("Name", { exact: true }).fill("Forms: no scheme");
    await form.getByLabel("Address", { exact: true }).fill("metabase.example.com");
    await form.getByRole("textbox", { name: /^API key/ }).fill("a-key");
    await form.getByRole("button", { name: "Save and test" }).click();
    // the sentence is part of the field's label now, so a screen reader says it with the name
    const address = form.getByRole("textbox", { name: /^Address/ });
    await expect(address).toHaveAttribute("aria-invalid", "true");
    await expect(address.locator("xpath=..")).toContainText(
      "The address must start with http:// or https://.",
    );
    await noZodWords(form);
    await page.screenshot({ path: path.join(shots, "connector-field-error.png"), fullPage: true });
  });

  await test.step("report: JSON that does not parse, then a missing card id", async () => {
    await trpcMutation(page, "connectors.save", {
      name: "Forms: Metabase",
      kind: "metabase",
      baseUrl: "http://127.0.0.1:9",
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "a-key" },
    });
    await page.goto("/reports");
    const form = await openForm(page, "Add report", "Report");
    await form.getByLabel("Name", { exact: true }).fill("Forms: no card");
    await form.getByLabel("Connector").selectOption({ label: "Forms: Metabase (Metabase)" });
    const parameters = form.getByLabel("Parameters (JSON array)");
    await parameters.fill('[{"type": }]');
    await form.getByRole("button", { name: "Save report" }).click();
    await expect(parameters).toHaveAttribute("aria-invalid", "true");
    await expect(parameters.locator("xpath=..")).toContainText("This is not valid JSON");

    await parameters.fill("[]");
    await form.getByRole("button", { name: "Save report" }).click();
    const cardId = form.getByLabel("Card id");
    await expect(cardId).toHaveAttribute("aria-invalid", "true");
    await expect(cardId.locator("xpath=..")).toContainText("Fill this in.");
    await expect(form.getByRole("alert").last()).toContainText("Card id: Fill this in.");
    await expect(parameters).not.toHaveAttribute("aria-invalid", "true");
    await noZodWords(form);
    await page.screenshot({ path: path.join(shots, "report-field-error.png"), fullPage: true });
  });

  await test.step("schedule: an interval of 0 minutes", async () => {
    await createReport(page, "Forms: scheduled");
    await page.goto("/schedules");
    const form = await openForm(page, "Add schedule", "Schedule");
    await form.getByLabel("Name").fill("Forms: never");
    await form.getByRole("checkbox", { name: /Forms: scheduled/ }).check();
    const every = form.getByLabel("Every (minutes)");
    await every.fill("0");
    await form.getByRole("button", { name: "Save schedule" }).click();
    await expect(every).toHaveAttribute("aria-invalid", "true");
    await expect(every.locator("xpath=..")).toContainText("Enter 1 or more.");
    // and above the buttons, after the field's name
    await expect(form.getByRole("alert").last()).toContainText("Every (minutes): Enter 1 or more.");
    await noZodWords(form);
    await page.screenshot({ path: path.join(shots, "schedule-field-error.png"), fullPage: true });
  });

  await test.step("the API itself answers with a sentence per field", async () => {
    const response = await page.request.post("/api/trpc/schedules.save", {
      data: { json: { name: "", reportIds: [], kind: "interval", intervalMinutes: 0 } },
    });
    expect(response.status()).toBe(400);
    const error = (
      (await response.json()) as {
        error: { json: { message: string; data: { fieldErrors: Record<string, string> } } };
      }
    ).error.json;
    expect(error.message).toBe("3 values need a fix: see the messages next to the fields.");
    expect(error.data.fieldErrors).toEqual({
      name: "Give the schedule a name.",
      reportIds: "Choose at least one report, or a pipeline.",
      intervalMinutes: "Enter 1 or more.",
    });
  });
});
