import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { compileExpression, EXPRESSION_HELP } from "./expression";
import { SQL_TYPE, TableError, quoteIdent, type TColumn } from "./table-types";

const COLUMNS: TColumn[] = [
  { name: "id", type: "integer" },
  { name: "price", type: "number" },
  { name: "units", type: "integer" },
  { name: "name", type: "text" },
  { name: "city", type: "text" },
  { name: "code", type: "text" },
  { name: "Unit price", type: "number" },
  { name: "order_date", type: "date" },
  { name: "created_at", type: "timestamp" },
  { name: "active", type: "boolean" },
  { name: 'say "hi"', type: "text" },
];

// 2024-01-01 is a Monday, 2024-02-29 a Thursday
const ROWS = `
  (1, 10.5, 3, 'Ann', 'Paris', '42', 2.5, DATE '2024-01-01', TIMESTAMP '2024-01-31 18:45:00', TRUE, 'x'),
  (2, 0, 0, NULL, 'Lyon', 'abc', NULL, DATE '2024-02-29', NULL, FALSE, NULL),
  (3, NULL, -7, 'Bob', NULL, ' 7 ', 4, NULL, TIMESTAMP '2023-12-31 00:00:00', NULL, 'y')`;

let connection: DuckDBConnection;
let instance: DuckDBInstance;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  const casts = COLUMNS.map(
    (column, index) =>
      `CAST(col${index} AS ${SQL_TYPE[column.type]}) AS ${quoteIdent(column.name)}`,
  ).join(", ");
  const raw = COLUMNS.map((_, index) => `col${index}`).join(", ");
  await connection.run(`CREATE TABLE t AS SELECT ${casts} FROM (VALUES ${ROWS}) AS v(${raw})`);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** The expression's value on each row, after checking DuckDB gives it the promised type. */
async function evaluate(source: string): Promise<unknown[]> {
  const { sql, type } = compileExpression(source, COLUMNS);
  const reader = await connection.runAndReadAll(
    `SELECT ${sql} AS v, typeof(${sql}) AS sql_type FROM t ORDER BY id`,
  );
  const rows = reader.getRowObjectsJson() as { v: unknown; sql_type: string }[];
  for (const row of rows) expect(row.sql_type).toBe(SQL_TYPE[type]);
  // BIGINT arrives as text in JSON
  return rows.map((row) => (type === "integer" && row.v !== null ? Number(row.v) : row.v));
}

function refusal(source: string): string {
  try {
    compileExpression(source, COLUMNS);
  } catch (error) {
    expect(error).toBeInstanceOf(TableError);
    return (error as TableError).message;
  }
  throw new Error(`expected ${source} to be refused`);
}

describe("compileExpression: what it compiles to", () => {
  it.each([
    ["price", '"price"', "number"],
    ["PRICE", '"price"', "number"],
    ['col("Unit price")', '"Unit price"', "number"],
    ["col('unit PRICE')", '"Unit price"', "number"],
    ["col('say \"hi\"')", '"say ""hi"""', "text"],
    ["3", "CAST(3 AS BIGINT)", "integer"],
    ["1.5", "CAST(1.5 AS DOUBLE)", "number"],
    ["'it\\'s'", "'it''s'", "text"],
    ['"it\'s"', "'it''s'", "text"],
    ["true", "TRUE", "boolean"],
    ["null", "CAST(NULL AS VARCHAR)", "text"],
    ["units + 1", 'TRY("units" + CAST(1 AS BIGINT))', "integer"],
    ["price * units", '("price" * CAST("units" AS DOUBLE))', "number"],
    ["units / 2", '("units" / NULLIF(CAST(2 AS BIGINT), 0))', "number"],
    ["units % 2", '("units" % NULLIF(CAST(2 AS BIGINT), 0))', "integer"],
    ["-units", '(- "units")', "integer"],
    ['name & " " & city', `concat("name", ' ', "city")`, "text"],
    ["price > 100", '("price" > CAST(100 AS DOUBLE))', "boolean"],
    ["name == null", '("name" IS NULL)', "boolean"],
    ["null != name", '("name" IS NOT NULL)', "boolean"],
    ["order_date >= '2024-01-31'", `("order_date" >= DATE '2024-01-31')`, "boolean"],
    ["created_at < '2024-01-31T12:00'", `("created_at" < TIMESTAMP '2024-01-31 12:00')`, "boolean"],
    ["not active", '(NOT "active")', "boolean"],
    [
      "active and units > 0 or false",
      '(("active" AND ("units" > CAST(0 AS BIGINT))) OR FALSE)',
      "boolean",
    ],
    [
      'if(price > 100, "high", "low")',
      `(CASE WHEN ("price" > CAST(100 AS DOUBLE)) THEN 'high' ELSE 'low' END)`,
      "text",
    ],
    [
      "active ? units : price",
      '(CASE WHEN "active" THEN CAST("units" AS DOUBLE) ELSE "price" END)',
      "number",
    ],
    [
      "if(active, order_date, null)",
      '(CASE WHEN "active" THEN "order_date" ELSE CAST(NULL AS DATE) END)',
      "date",
    ],
    ["YEAR(order_date)", 'year("order_date")', "integer"],
    ["weekday(created_at)", 'isodow("created_at")', "integer"],
    ["date(created_at)", 'CAST("created_at" AS DATE)', "date"],
    ["date(code)", 'TRY_CAST("code" AS DATE)', "date"],
    ["number(code)", 'TRY_CAST("code" AS DOUBLE)', "number"],
    ["integer(price)", 'TRY_CAST(round("price") AS BIGINT)', "integer"],
    ["integer(code)", 'TRY_CAST("code" AS BIGINT)', "integer"],
    ["text(units)", 'TRY_CAST("units" AS VARCHAR)', "text"],
    ["text(name)", '"name"', "text"],
    ["round(price)", 'TRY_CAST(round("price") AS BIGINT)', "integer"],
    ["round(price, 2)", 'round("price", TRY_CAST(CAST(2 AS BIGINT) AS INTEGER))', "number"],
    [
      "coalesce(price, units, 0)",
      'coalesce("price", CAST("units" AS DOUBLE), CAST(0 AS DOUBLE))',
      "number",
    ],
    ["year(null)", "year(CAST(NULL AS TIMESTAMP))", "integer"],
  ] as const)("%s", (source, sql, type) => {
    expect(compileExpression(source, COLUMNS)).toEqual({ sql, type });
  });

  it("reads a bare non-ASCII column name", () => {
    const columns: TColumn[] = [{ name: "Größe", type: "integer" }];
    expect(compileExpression("Größe * 2", columns)).toEqual({
      sql: 'TRY("Größe" * CAST(2 AS BIGINT))',
      type: "integer",
    });
  });

  it("keeps an exact column name over one that differs only in capitals", () => {
    const columns: TColumn[] = [
      { name: "Total", type: "integer" },
      { name: "total", type: "text" },
    ];
    expect(compileExpression("total", columns).type).toBe("text");
    expect(() => compileExpression("TOTAL", columns)).toThrow("column 'TOTAL' not found");
  });

  it("binds & looser than + and tighter than comparisons, as in Excel", () => {
    expect(compileExpression("name & units + 1 == 'Ann4'", COLUMNS).sql).toBe(
      `(concat("name", TRY("units" + CAST(1 AS BIGINT))) = 'Ann4')`,
    );
  });

  it("lists every function in the help text", () => {
    const names = refusal("nope()").split("functions are: ")[1]?.split(", ") ?? [];
    expect(names.length).toBeGreaterThan(25);
    for (const name of names) expect(EXPRESSION_HELP).toMatch(new RegExp(`\\b${name}\\b`));
    expect(EXPRESSION_HELP.split("\n").length).toBeLessThanOrEqual(10);
  });
});

describe("compileExpression: what it refuses", () => {
  it.each([
    ["", "the expression is empty"],
    ["   \n ", "the expression is empty"],
    ["1".repeat(2001), "the expression is too long (2001 characters; the limit is 2,000)"],
    [
      `${"(".repeat(51)}1${")".repeat(51)}`,
      "the expression is nested too deeply (more than 50 levels)",
    ],
    [`${"-".repeat(60)}units`, "the expression is nested too deeply (more than 50 levels)"],
    ["revenue * 2", "column 'revenue' not found; columns are: id, price, units, name, city"],
    ['col("revenue")', "column 'revenue' not found"],
    ['col("x\\"; DROP TABLE t; --")', `column 'x"; DROP TABLE t; --' not found`],
    ["col(name)", 'col takes a column name in quotes, like col("Unit price")'],
    ["foo(1)", "unknown function 'foo'; functions are: abs, ceil, coalesce, col, concat, contains"],
    ["price +", "could not read the expression at character 8: Expected expression after +"],
    ["price # 2", 'could not read the expression at character 7: Unexpected "#"'],
    ["/ab/", "could not read the expression at character 1"],
    ["price += 1", "could not read the expression"],
    ["'open", 'could not read the expression at character 6: Unclosed quote after "open"'],
    ["price units", "the expression has several parts side by side"],
    ["price, units", "the expression has several parts side by side"],
    ["(price, units)", "commas only separate a function's arguments"],
    ["a.b", `'.' is not supported (in a.b); for a column whose name has a dot, write col("a.b")`],
    ["name[0]", "'[…]' is not supported (in name[0])"],
    ["[1, 2]", "lists in [ ] are not supported"],
    ["this", "'this' is a reserved word"],
    [
      "name.upper()",
      "only functions called by name can be used, like upper(name); name.upper() is not one",
    ],
    ["upper(name)(1)", "only functions called by name can be used"],
    ["1e999", "the number 1e999 is too large"],
    [
      "name + 1",
      "'+' adds numbers, but name is text; to join text use & (as in first & \" \" & last) or concat(...)",
    ],
    ["order_date - 1", "'-' works on numbers, but order_date is a date"],
    ["-name", "'-' works on numbers, but name is text"],
    ["units * active", "'*' works on numbers, but active is true/false"],
    ["price ^ 2", "'^' is not an operator here; powers are not supported"],
    ["price ?? 0", "'??' is not an operator here; use coalesce(a, b)"],
    ["~units", "'~' is not an operator here"],
    ["units | 1", "'|' is not an operator here; use or (or ||)"],
    [
      "not units",
      "'not' works on true/false values, but units is a whole number; to negate a comparison, put it in brackets: not (a > b)",
    ],
    ["not units > 5", "'not' works on true/false values, but units is a whole number"],
    ["active and 1", "'and' combines true/false values, but 1 is a whole number"],
    ["name || active", "'||' combines true/false values, but name is text"],
    [
      "name > 5",
      "cannot compare name (text) with 5 (a whole number); convert one side with number(...) or text(...)",
    ],
    ["active == order_date", "cannot compare active (true/false) with order_date (a date)"],
    [
      "order_date > '31/01/2024'",
      "'31/01/2024' is not a date; write dates as 'YYYY-MM-DD' (like '2024-01-31')",
    ],
    ["order_date > '2023-02-29'", "'2023-02-29' is not a date"],
    ["created_at > '2024-01-31 24:00'", "'2024-01-31 24:00' is not a date"],
    [
      "price < null",
      "'<' with null is never true; to test for an empty value write x == null or x != null",
    ],
    [
      "if(price, 1, 2)",
      "the condition of if must be true or false, like price > 100, but price is a number",
    ],
    ["units ? 1 : 2", "the condition of if must be true or false"],
    [
      "if(active, 1, 'x')",
      "the values of if must be of one type, but 1 is a whole number and 'x' is text",
    ],
    ["if(active, 1)", "if takes 3 arguments, if(condition, then, else), but got 2"],
    ["upper(price)", "upper needs text as its argument, upper(text), but price is a number"],
    ["upper(name, city)", "upper takes 1 argument, upper(text), but got 2"],
    ["left(name)", "left takes 2 arguments, left(text, count), but got 1"],
    [
      "left(name, 1.5)",
      "left needs a whole number as its second argument, left(text, count), but 1.5 is a number",
    ],
    [
      "round(price, 1, 2)",
      "round takes 1 or 2 arguments, round(number) or round(number, digits), but got 3",
    ],
    ["round(name)", "round needs a number as its argument"],
    [
      "hour(order_date)",
      "hour needs a timestamp (a date has no time of day) as its argument, hour(timestamp), but order_date is a date",
    ],
    ["year(name)", "year needs a date or timestamp as its argument, year(date), but name is text"],
    [
      "replace(name, 'a', 1)",
      "replace needs text as its third argument, replace(text, from, to), but 1 is a whole number",
    ],
    [
      "coalesce(price)",
      "coalesce takes at least 2 arguments, coalesce(value, value, …), but got 1",
    ],
    [
      "coalesce(name, price)",
      "the values of coalesce must be of one type, but name is text and price is a number",
    ],
    ["coalesce(order_date, 'soon')", "'soon' is not a date"],
    [
      "number(order_date)",
      "number needs text, a number or true/false as its argument, number(value), but order_date is a date",
    ],
    [
      "date(units)",
      "date needs a date, a timestamp or text as its argument, date(value), but units is a whole number",
    ],
    ["concat()", "concat takes at least 1 argument, concat(value, …), but got 0"],
  ])("%j", (source, message) => {
    expect(refusal(source)).toContain(message);
  });
});

describe("compileExpression: running the SQL in DuckDB", () => {
  it("does arithmetic, keeping whole numbers whole except for /", async () => {
    expect(await evaluate("price * units")).toEqual([31.5, 0, null]);
    expect(await evaluate("units + 1")).toEqual([4, 1, -6]);
    expect(await evaluate("-units * 2 - 1")).toEqual([-7, -1, 13]);
    expect(await evaluate("units / 2")).toEqual([1.5, 0, -3.5]);
    expect(await evaluate("units % 4")).toEqual([3, 0, -3]);
    expect(await evaluate('col("Unit price") + 1.5')).toEqual([4, null, 5.5]);
  });

  it("gives an empty value for division by zero and for overflow, not an error", async () => {
    expect(await evaluate("price / units")).toEqual([3.5, null, null]);
    expect(await evaluate("units / 0")).toEqual([null, null, null]);
    expect(await evaluate("price % 0")).toEqual([null, null, null]);
    expect(await evaluate("units % 0")).toEqual([null, null, null]);
    expect(await evaluate("units * 9007199254740991 * 2048")).toEqual([null, 0, null]);
    expect(await evaluate("left(city, 9007199254740991)")).toEqual([null, null, null]);
  });

  it("joins text with & and concat, an empty value adding nothing", async () => {
    expect(await evaluate('name & " from " & city')).toEqual([
      "Ann from Paris",
      " from Lyon",
      "Bob from ",
    ]);
    expect(await evaluate("concat(name, units, active, order_date)")).toEqual([
      "Ann3true2024-01-01",
      "0false2024-02-29",
      "Bob-7",
    ]);
    expect(await evaluate(`"it's " & '"quoted"' & ' \\'); DROP TABLE t; --'`)).toEqual(
      Array(3).fill(`it's "quoted" '); DROP TABLE t; --`),
    );
  });

  it("chooses with if and ?:, an empty condition counting as false", async () => {
    expect(await evaluate('if(units > 0, "pos", if(units == 0, "zero", "neg"))')).toEqual([
      "pos",
      "zero",
      "neg",
    ]);
    expect(await evaluate("active ? price : 0")).toEqual([10.5, 0, 0]);
    expect(await evaluate("if(active, units, null)")).toEqual([3, null, null]);
    expect(await evaluate("if(active, order_date, created_at)")).toEqual([
      "2024-01-01 00:00:00",
      null,
      "2023-12-31 00:00:00",
    ]);
  });

  it("compares and combines conditions", async () => {
    expect(await evaluate("units == 3")).toEqual([true, false, false]);
    expect(await evaluate("units = 3 or units <> 0")).toEqual([true, false, true]);
    expect(await evaluate("name == null")).toEqual([false, true, false]);
    expect(await evaluate("name != null && units >= 0")).toEqual([true, false, false]);
    expect(await evaluate('city == "Paris" or units < 0')).toEqual([true, false, true]);
    expect(await evaluate("not (units > 0)")).toEqual([false, true, true]);
    expect(await evaluate("!active")).toEqual([false, true, null]);
    expect(await evaluate("price > units")).toEqual([true, false, null]);
  });

  it("compares dates with dates, timestamps and ISO text", async () => {
    expect(await evaluate("order_date >= '2024-02-01'")).toEqual([false, true, null]);
    expect(await evaluate("created_at < '2024-01-31 12:00'")).toEqual([false, null, true]);
    expect(await evaluate("order_date < created_at")).toEqual([true, null, null]);
    expect(await evaluate("'2024-02-29' == order_date")).toEqual([false, true, null]);
    expect(await evaluate("if(active, '2024-06-01', order_date)")).toEqual([
      "2024-06-01",
      "2024-02-29",
      null,
    ]);
    expect(await evaluate("if(active, created_at, '2024-06-01 12:30')")).toEqual([
      "2024-01-31 18:45:00",
      "2024-06-01 12:30:00",
      "2024-06-01 12:30:00",
    ]);
    expect(await evaluate("coalesce(order_date, '2000-01-01')")).toEqual([
      "2024-01-01",
      "2024-02-29",
      "2000-01-01",
    ]);
  });

  it("takes dates apart", async () => {
    expect(await evaluate("year(order_date)")).toEqual([2024, 2024, null]);
    expect(await evaluate("month(order_date)")).toEqual([1, 2, null]);
    expect(await evaluate("day(order_date)")).toEqual([1, 29, null]);
    expect(await evaluate("quarter(created_at)")).toEqual([1, null, 4]);
    expect(await evaluate("weekday(order_date)")).toEqual([1, 4, null]);
    expect(await evaluate("hour(created_at)")).toEqual([18, null, 0]);
    expect(await evaluate("minute(created_at)")).toEqual([45, null, 0]);
    expect(await evaluate("date(created_at)")).toEqual(["2024-01-31", null, "2023-12-31"]);
  });

  it("works on text", async () => {
    expect(await evaluate("upper(name)")).toEqual(["ANN", null, "BOB"]);
    expect(await evaluate("lower(city)")).toEqual(["paris", "lyon", null]);
    expect(await evaluate("trim(code)")).toEqual(["42", "abc", "7"]);
    expect(await evaluate("length(city)")).toEqual([5, 4, null]);
    expect(await evaluate("left(city, 2) & right(city, 1)")).toEqual(["Pas", "Lyn", ""]);
    expect(await evaluate('replace(city, "a", "A")')).toEqual(["PAris", "Lyon", null]);
    expect(await evaluate('contains(city, "ar")')).toEqual([true, false, null]);
    expect(await evaluate('starts_with(city, "L")')).toEqual([false, true, null]);
    expect(await evaluate('ends_with(city, "s")')).toEqual([true, false, null]);
    expect(await evaluate('coalesce(name, "?")')).toEqual(["Ann", "?", "Bob"]);
    expect(await evaluate("col('say \"hi\"')")).toEqual(["x", null, "y"]);
  });

  it("rounds numbers", async () => {
    expect(await evaluate("round(price)")).toEqual([11, 0, null]);
    expect(await evaluate("round(price / 3, 2)")).toEqual([3.5, 0, null]);
    expect(await evaluate("round(units, -1)")).toEqual([0, 0, -10]);
    expect(await evaluate("floor(price / 4)")).toEqual([2, 0, null]);
    expect(await evaluate("ceil(price / 4)")).toEqual([3, 0, null]);
    expect(await evaluate("abs(units)")).toEqual([3, 0, 7]);
  });

  it("converts with TRY_CAST, so a value that does not convert is empty", async () => {
    expect(await evaluate("integer(code)")).toEqual([42, null, 7]);
    expect(await evaluate("number(code) * 2")).toEqual([84, null, 14]);
    expect(await evaluate("integer(price)")).toEqual([11, 0, null]);
    expect(await evaluate("number(active)")).toEqual([1, 0, null]);
    expect(await evaluate("text(price)")).toEqual(["10.5", "0.0", null]);
    expect(await evaluate("date(name)")).toEqual([null, null, null]);
    expect(await evaluate("date('2024-03-01')")).toEqual(Array(3).fill("2024-03-01"));
  });

  it("gives a typed empty value for null", async () => {
    expect(await evaluate("null")).toEqual([null, null, null]);
    expect(await evaluate("coalesce(null, null)")).toEqual([null, null, null]);
    expect(await evaluate("year(null) + null")).toEqual([null, null, null]);
    expect(await evaluate("null & name")).toEqual(["Ann", "", "Bob"]);
    expect(await evaluate("coalesce(null, units)")).toEqual([3, 0, -7]);
    expect(await evaluate("if(null, 1, 2)")).toEqual([2, 2, 2]);
    expect(await evaluate("-null")).toEqual([null, null, null]);
    expect(await evaluate("not null")).toEqual([null, null, null]);
    expect(await evaluate("null == null")).toEqual([true, true, true]);
    expect(await evaluate("concat(null)")).toEqual(["", "", ""]);
    for (const fn of ["text", "date", "number", "integer", "round", "abs", "floor", "upper"]) {
      expect(await evaluate(`${fn}(null)`)).toEqual([null, null, null]);
    }
    expect(await evaluate("round(price, null)")).toEqual([null, null, null]);
    expect(await evaluate("left(name, null)")).toEqual([null, null, null]);
  });
});
