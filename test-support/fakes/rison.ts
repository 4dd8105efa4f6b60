// A strict reader of rison (https://github.com/Nanonid/rison), as Flask-AppBuilder's `q` argument
// takes it: objects `(k:v,…)`, arrays `!(…)`, `!t` `!f` `!n`, numbers, quoted strings `'…'` with
// `!!` and `!'` escapes, and bare words. Anything else throws, as FAB's rison decorator answers
// "Not a valid rison argument".

const NOT_ID = " '!:(),*@$";

export function parseRison(text: string): unknown {
  let at = 0;
  const fail = (): never => {
    throw new Error(`invalid rison at ${at}`);
  };
  const value = (): unknown => {
    const c = text[at];
    if (c === undefined) return fail();
    if (c === "(") {
      at++;
      const object: Record<string, unknown> = {};
      if (text[at] === ")") return (at++, object);
      for (;;) {
        const key = value();
        if (typeof key !== "string" && typeof key !== "number") fail();
        if (text[at++] !== ":") fail();
        object[String(key)] = value();
        const next = text[at++];
        if (next === ")") return object;
        if (next !== ",") fail();
      }
    }
    if (c === "!") {
      const code = text[at + 1];
      at += 2;
      if (code === "t") return true;
      if (code === "f") return false;
      if (code === "n") return null;
      if (code !== "(") return fail();
      const array: unknown[] = [];
      if (text[at] === ")") return (at++, array);
      for (;;) {
        array.push(value());
        const next = text[at++];
        if (next === ")") return array;
        if (next !== ",") fail();
      }
    }
    if (c === "'") {
      at++;
      let out = "";
      for (;;) {
        const d = text[at++];
        if (d === undefined) return fail();
        if (d === "'") return out;
        if (d === "!") {
          const escaped = text[at++];
          if (escaped !== "!" && escaped !== "'") fail();
          out += escaped;
        } else out += d;
      }
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?(e[+-]?\d+)?/.exec(text.slice(at));
    if (number && number[0] !== "-") {
      at += number[0].length;
      return Number(number[0]);
    }
    let word = "";
    while (at < text.length && !NOT_ID.includes(text[at]!)) word += text[at++];
    return word === "" ? fail() : word;
  };
  const result = value();
  if (at !== text.length) fail();
  return result;
}
