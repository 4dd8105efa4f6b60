import { describe, expect, it } from "vitest";
import { findLink, parseLinkHeader } from "./link-header";

describe("parseLinkHeader", () => {
  it("reads GitHub's header: several links, each with its rel", () => {
    const header =
      '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"';
    expect(parseLinkHeader(header).map((link) => [link.rel, link.uri])).toEqual([
      [["prev"], "https://api.github.com/repositories/1300192/issues?page=2"],
      [["next"], "https://api.github.com/repositories/1300192/issues?page=4"],
      [["last"], "https://api.github.com/repositories/1300192/issues?page=515"],
      [["first"], "https://api.github.com/repositories/1300192/issues?page=1"],
    ]);
  });

  it("keeps commas and semicolons inside the URI and inside quoted parameters", () => {
    const header =
      '</items?ids=1,2;3&page=2>; title="page 2, of 5; almost"; rel=next, </items?page=1>; rel="prev"';
    expect(parseLinkHeader(header)).toEqual([
      {
        uri: "/items?ids=1,2;3&page=2",
        rel: ["next"],
        params: { title: "page 2, of 5; almost", rel: "next" },
      },
      { uri: "/items?page=1", rel: ["prev"], params: { rel: "prev" } },
    ]);
  });

  it("reads a rel list, in any case, and only the first rel parameter (RFC 8288 §3.3)", () => {
    const [link] = parseLinkHeader('<b>; REL="Next  Last"; rel="prev"');
    expect(link!.rel).toEqual(["next", "last"]);
    const [other] = parseLinkHeader("<c>; rel=prev; Rel=next");
    expect(other!.rel).toEqual(["prev"]);
  });

  it("unescapes quoted-pairs, allows spaces around = and ; and ignores a trailing semicolon", () => {
    const [link] = parseLinkHeader('  < /a >  ;  rel = "next" ; title="say \\"hi\\"\\\\"; ');
    expect(link).toEqual({
      uri: "/a",
      rel: ["next"],
      params: { rel: "next", title: 'say "hi"\\' },
    });
  });

  it("reads headers the engine joined with ', ' and parameters without a value", () => {
    const links = parseLinkHeader('<a>; rel="next"; crossorigin, <b>; rel=last');
    expect(links).toEqual([
      { uri: "a", rel: ["next"], params: { rel: "next", crossorigin: "" } },
      { uri: "b", rel: ["last"], params: { rel: "last" } },
    ]);
  });

  it("decodes RFC 8187 extended parameters (title*), which win over the plain one", () => {
    const [link] = parseLinkHeader("<a>; title=\"plain\"; title*=UTF-8'de'n%c3%a4chste; rel=next");
    expect(link!.params.title).toBe("nächste");
    expect(link!.rel).toEqual(["next"]);
  });

  it("skips a malformed link and goes on with the next one", () => {
    const links = parseLinkHeader(
      'junk; rel="next", <x>; rel="next" garbage, <y>; title="unterminated, <z>; rel=next',
    );
    expect(links).toEqual([]);
    expect(parseLinkHeader('nonsense, <ok>; rel="next"')).toEqual([
      { uri: "ok", rel: ["next"], params: { rel: "next" } },
    ]);
    expect(parseLinkHeader('<x>; rel="next" garbage, <ok>; rel="next"').map((l) => l.uri)).toEqual([
      "ok",
    ]);
    expect(parseLinkHeader("")).toEqual([]);
    expect(parseLinkHeader("<unclosed; rel=next")).toEqual([]);
  });
});

describe("findLink", () => {
  const page = "https://api.example.com/v1/items?page=1&per_page=50";

  it("resolves a relative next link against the page's URL", () => {
    expect(findLink('</v1/items?page=2&per_page=50>; rel="next"', "next", page)).toBe(
      "https://api.example.com/v1/items?page=2&per_page=50",
    );
    expect(findLink('<?page=2>; rel="next"', "next", page)).toBe(
      "https://api.example.com/v1/items?page=2",
    );
    expect(findLink('<items?page=2>; rel="next"', "next", page)).toBe(
      "https://api.example.com/v1/items?page=2",
    );
  });

  it("finds next in a rel list and among other links; null when there is none", () => {
    const header =
      '<https://x.example/1>; rel="first prev", <https://x.example/3>; rel="last next"';
    expect(findLink(header, "next", page)).toBe("https://x.example/3");
    expect(findLink('<https://x.example/1>; rel="prev"', "next", page)).toBeNull();
    expect(findLink(undefined, "next", page)).toBeNull();
    // "nextpage" is not "next"
    expect(findLink('<https://x.example/1>; rel="nextpage"', "next", page)).toBeNull();
  });

  it("leaves out links about another resource (anchor), other schemes and fragments", () => {
    expect(findLink('<https://x.example/2>; rel=next; anchor="/other"', "next", page)).toBeNull();
    expect(findLink(`<https://x.example/2>; rel=next; anchor="${page}"`, "next", page)).toBe(
      "https://x.example/2",
    );
    expect(findLink("<ftp://x.example/2>; rel=next, <b#frag>; rel=next", "next", page)).toBe(
      "https://api.example.com/v1/b",
    );
  });
});
