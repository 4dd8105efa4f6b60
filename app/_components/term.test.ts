import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { GLOSSARY } from "./glossary";
import { HelpText, Term } from "./term";

describe("Term", () => {
  it("is a real button, closed at first, that controls the explanation it names", () => {
    const html = renderToStaticMarkup(createElement(Term, { name: "jitter" }, "Later jitter"));
    const button = /<button[^>]*>/.exec(html)![0];
    expect(button).toContain('type="button"');
    expect(button).toContain('aria-expanded="false"');
    expect(html).toContain('<span class="sr-only">What is jitter?</span></button>');
    expect(button).not.toContain("aria-label");
    const controls = /aria-controls="([^"]+)"/.exec(button)![1]!;
    // the explanation is in the page, hidden until the button opens it
    expect(html).toMatch(new RegExp(`<span id="${controls}" hidden=""[^>]*>A random delay`));
    expect(html.startsWith("Later jitter<button")).toBe(true);
  });
});

describe("HelpText", () => {
  it("shows the term's text under the id a field's aria-describedby names", () => {
    const html = renderToStaticMarkup(
      createElement(HelpText, { id: "misfire-help", term: "misfire" }),
    );
    expect(html).toMatch(/^<span id="misfire-help"[^>]*>/);
    expect(html).toContain(GLOSSARY.misfire.text);
  });
});
