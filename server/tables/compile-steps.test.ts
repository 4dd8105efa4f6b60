import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { compileSteps, type TRelation, type TTableLookup } from "./compile-steps";
import { FILTER_OPERATORS, ZSteps, type TCondition } from "./steps";
import { SQL_TYPE, quoteIdent, type TColumn } from "./table-types";

const SALES_COLUMNS: TColumn[] = [
  { name: "id", type: "integer" },
  { name: "region", type: "text" },
  { name: "product", type: "text" },
  { name: "units", type: "integer" },
  { name: "price", type: "number" },
  { name: "day", type: "date" },
  { name: "at", type: "timestamp" },
  { name: "active", type: "boolean" },
  { name: "code", type: "text" },
  { name: "note", type: "text" },
];
const SALES_NAMES = SALES_COLUMNS.map((column) => column.name).join(", ");

// the order rows arrive in matters: dedupe, first/last, joins and sorts keep to it
const SALES_ROWS = `
  (1, 'North', 'Apple',  3,    2.5,  '2024-01-05', '2024-01-05 09:00:00', true,  '42',   'first'),
  (2, 'south', 'Banana', 10,   0.5,  '2024-02-10', '2024-02-10 18:30:00', false, '7',    NULL),
  (3, 'North', 'cherry', NULL, 4.0,  '2024-03-15', NULL,                  true,  'x',    ''),
  (4, NULL,    'Apple',  5,    NULL, NULL,         '2024-03-01 00:00:00', NULL,  NULL,   '  '),
  (5, 'South', 'banana', 1,    1.5,  '2024-01-20', '2024-01-20 12:00:00', false, '0012', 'last')`;

const REGIONS_COLUMNS: TColumn[] = [
  { name: "region", type: "text" },
  { name: "manager", type: "text" },
  { name: "units", type: "integer" },
  { name: "budget", type: "number" },
];
// 'North' twice: a lookup takes the first
const REGIONS_ROWS = `
  ('North', 'Ann', 100, 1.5),
  ('South', 'Bob', 200, 2.5),
  ('North', 'Zed', 300, 9.9),
  ('West',  'Wes', 400, 0)`;

const SALES: TRelation = { sql: "SELECT * FROM sales", columns: SALES_COLUMNS };

const TABLES: Record<string, TRelation & { name: string }> = {
  regions: { name: "Regions", sql: "SELECT * FROM regions", columns: REGIONS_COLUMNS },
  ids: {
    name: "Ids",
    sql: "SELECT id AS ID, 'x' || id AS label FROM sales",
    columns: [
      { name: "ID", type: "integer" },
      { name: "label", type: "text" },
    ],
  },
  big: {
    name: "Big",
    sql: "SELECT * FROM big_lookup",
    columns: [
      { name: "k", type: "integer" },
      { name: "v", type: "text" },
    ],
  },
};
const lookup: TTableLookup = (tableId) => TABLES[tableId];

let instance: DuckDBInstance;
let connection: DuckDBConnection;

async function createTable(name: string, columns: readonly TColumn[], rows: string) {
  const raw = columns.map((_, index) => `c${index}`);
  const casts = columns.map(
    (column, index) => `CAST(c${index} AS ${SQL_TYPE[column.type]}) AS ${quoteIdent(column.name)}`,
  );
  await connection.run(
    `CREATE TABLE ${name} AS SELECT ${casts.join(", ")} FROM (VALUES ${rows}) AS v(${raw.join(", ")})`,
  );
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "4" });
  connection = await instance.connect();
  await createTable("sales", SALES_COLUMNS, SALES_ROWS);
  await createTable("regions", REGIONS_COLUMNS, REGIONS_ROWS);
  await createTable(
    "texts",
    [
      { name: "dmy", type: "text" },
      { name: "mdy", type: "text" },
      { name: "iso", type: "text" },
      { name: "stamp", type: "text" },
    ],
    `('31/01/2024', '01/31/2024', '2024-01-31', '31/01/2024 10:30'),
     ('01.02.2024', '02/01/2024', ' 2024-02-29 ', '01.02.2024 23:59:59'),
     ('5-3-2024',   '13/01/2024', '2024-02-30', 'soon'),
     ('nope',       '',           NULL,         NULL)`,
  );
  // every key 1,000 times, its first row saying so, in a table large enough to be read in parallel
  await connection.run(
    `CREATE TABLE big_lookup AS SELECT CAST(i % 1000 AS BIGINT) AS k,
       CASE WHEN i < 1000 THEN 'first' ELSE 'later ' || i END AS v FROM range(1000000) AS r(i)`,
  );
  await connection.run(
    "CREATE TABLE many AS SELECT CAST(i AS BIGINT) AS id, CAST(i % 3 AS BIGINT) AS g FROM range(200000) AS r(i)",
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Compiles steps (through the schema, as the server does) that must all compile. */
function compile(steps: unknown[], source: TRelation = SALES): TRelation {
  const compiled = compileSteps(source, ZSteps.parse(steps), lookup);
  expect(compiled.failure).toBeNull();
  expect(compiled.relations).toHaveLength(steps.length);
  return compiled.relations.at(-1)!;
}

/** The rows of a relation, after checking the engine gives each column the type it promises. */
async function rowsOf(relation: TRelation): Promise<Record<string, unknown>[]> {
  const described = await connection.runAndReadAll(`DESCRIBE ${relation.sql}`);
  // no helper column (the row numbers some steps sort by) leaks out
  const actual = (
    described.getRowObjectsJson() as { column_name: string; column_type: string }[]
  ).map((row) => ({ name: row.column_name, type: row.column_type }));
  expect(actual).toEqual(
    relation.columns.map((column) => ({ name: column.name, type: SQL_TYPE[column.type] })),
  );
  const reader = await connection.runAndReadAll(relation.sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

async function run(steps: unknown[], source: TRelation = SALES) {
  return rowsOf(compile(steps, source));
}

/** The ids (BIGINT arrives as text) of the sales rows the steps keep, in order. */
async function ids(steps: unknown[]): Promise<number[]> {
  return (await run(steps)).map((row) => Number(row.id));
}

/** The message of the one step that fails, checking the steps before it still compiled. */
function refusal(steps: unknown[], source: TRelation = SALES): string {
  const compiled = compileSteps(source, ZSteps.parse(steps), lookup);
  expect(compiled.failure).not.toBeNull();
  expect(compiled.failure!.step).toBe(steps.length - 1);
  expect(compiled.relations).toHaveLength(steps.length - 1);
  return compiled.failure!.message;
}

const filter = (...conditions: TCondition[]) => [{ kind: "filter", conditions }];

describe("select", () => {
  it("keeps columns by name and by position, renamed and reordered", async () => {
    const relation = compile([
      { kind: "select", columns: [{ column: "product" }, { column: 1, name: "ID" }] },
    ]);
    expect(relation.columns).toEqual([
      { name: "product", type: "text" },
      { name: "ID", type: "integer" },
    ]);
    expect(await rowsOf(relation)).toEqual([
      { product: "Apple", ID: "1" },
      { product: "Banana", ID: "2" },
      { product: "cherry", ID: "3" },
      { product: "Apple", ID: "4" },
      { product: "banana", ID: "5" },
    ]);
  });

  it("takes the same column twice under two names", async () => {
    const rows = await run([
      { kind: "select", columns: [{ column: "units" }, { column: 4, name: "units_again" }] },
    ]);
    expect(rows.map((row) => [row.units, row.units_again])).toEqual([
      ["3", "3"],
      ["10", "10"],
      [null, null],
      ["5", "5"],
      ["1", "1"],
    ]);
  });

  it("refuses a position past the last column", () => {
    expect(refusal([{ kind: "select", columns: [{ column: 11 }] }])).toBe(
      `there is no column 11; the table has 10 columns: ${SALES_NAMES}`,
    );
  });

  it("says 'column' for a one-column table", () => {
    const source = { sql: "SELECT id FROM sales", columns: [SALES_COLUMNS[0]!] };
    expect(refusal([{ kind: "select", columns: [{ column: 2 }] }], source)).toBe(
      "there is no column 2; the table has 1 column: id",
    );
  });

  it("refuses a name that is not a column", () => {
    expect(refusal([{ kind: "select", columns: [{ column: "Units" }] }])).toBe(
      `column 'Units' not found; columns are: ${SALES_NAMES}`,
    );
  });

  it("refuses two output columns of one name", () => {
    expect(
      refusal([
        {
          kind: "select",
          columns: [
            { column: "id", name: "x" },
            { column: "region", name: "x" },
          ],
        },
      ]),
    ).toBe("two columns would be called 'x'; rename one");
  });

  it("refuses two output names that differ only in capitals (DuckDB's names ignore them)", () => {
    expect(
      refusal([
        { kind: "select", columns: [{ column: "region" }, { column: "id", name: "Region" }] },
      ]),
    ).toBe("'region' and 'Region' would be one column (names ignore capitals); rename one");
  });
});

describe("rename", () => {
  it("renames by name and by position and keeps every other column in place", async () => {
    const relation = compile([
      {
        kind: "rename",
        columns: [
          { column: "region", name: "area" },
          { column: 1, name: "Sale id" },
        ],
      },
    ]);
    expect(relation.columns.map((column) => column.name)).toEqual([
      "Sale id",
      "area",
      ...SALES_COLUMNS.slice(2).map((column) => column.name),
    ]);
    expect(relation.columns.map((column) => column.type)).toEqual(
      SALES_COLUMNS.map((column) => column.type),
    );
    const rows = await rowsOf(relation);
    expect(rows[0]).toMatchObject({ "Sale id": "1", area: "North", product: "Apple" });
  });

  it("swaps two names", async () => {
    const rows = await run([
      {
        kind: "rename",
        columns: [
          { column: "region", name: "product" },
          { column: "product", name: "region" },
        ],
      },
    ]);
    expect(rows[0]).toMatchObject({ region: "Apple", product: "North" });
  });

  it("refuses a name another column already has", () => {
    expect(refusal([{ kind: "rename", columns: [{ column: "region", name: "note" }] }])).toBe(
      "two columns would be called 'note'; rename one",
    );
  });

  it("refuses a name another column has in other capitals", () => {
    expect(refusal([{ kind: "rename", columns: [{ column: "id", name: "Note" }] }])).toBe(
      "'Note' and 'note' would be one column (names ignore capitals); rename one",
    );
  });
});

describe("cast", () => {
  const TEXTS: TRelation = {
    sql: "SELECT * FROM texts",
    columns: ["dmy", "mdy", "iso", "stamp"].map((name) => ({ name, type: "text" })),
  };

  it("reads text as integers and numbers; a value that does not convert is empty", async () => {
    const relation = compile([
      {
        kind: "cast",
        columns: [
          { column: "code", type: "integer" },
          { column: "note", type: "number" },
        ],
      },
    ]);
    expect(relation.columns.find((column) => column.name === "code")!.type).toBe("integer");
    expect(relation.columns.find((column) => column.name === "note")!.type).toBe("number");
    const rows = await rowsOf(relation);
    expect(rows.map((row) => row.code)).toEqual(["42", "7", null, null, "12"]);
    // 'first', NULL, '', '  ', 'last': none is a number
    expect(rows.map((row) => row.note)).toEqual([null, null, null, null, null]);
  });

  it("reads day-first dates, with / . or - between the parts", async () => {
    const rows = await run(
      [{ kind: "cast", columns: [{ column: "dmy", type: "date", dateOrder: "day-first" }] }],
      TEXTS,
    );
    expect(rows.map((row) => row.dmy)).toEqual(["2024-01-31", "2024-02-01", "2024-03-05", null]);
  });

  it("reads month-first dates, and an impossible month is empty", async () => {
    const rows = await run(
      [{ kind: "cast", columns: [{ column: "mdy", type: "date", dateOrder: "month-first" }] }],
      TEXTS,
    );
    expect(rows.map((row) => row.mdy)).toEqual(["2024-01-31", "2024-02-01", null, null]);
  });

  it("reads the same text either way round as the order says", async () => {
    const rows = await run(
      [
        { kind: "compute", name: "both", expression: "dmy" },
        {
          kind: "cast",
          columns: [
            { column: "dmy", type: "date", dateOrder: "day-first" },
            { column: "both", type: "date", dateOrder: "month-first" },
          ],
        },
      ],
      TEXTS,
    );
    expect(rows[1]).toMatchObject({ dmy: "2024-02-01", both: "2024-01-02" });
  });

  it("reads ISO dates (trimmed) without an order, and an impossible date is empty", async () => {
    const rows = await run([{ kind: "cast", columns: [{ column: "iso", type: "date" }] }], TEXTS);
    expect(rows.map((row) => row.iso)).toEqual(["2024-01-31", "2024-02-29", null, null]);
  });

  it("reads day-first timestamps with and without seconds", async () => {
    const rows = await run(
      [{ kind: "cast", columns: [{ column: "stamp", type: "timestamp", dateOrder: "day-first" }] }],
      TEXTS,
    );
    expect(rows.map((row) => row.stamp)).toEqual([
      "2024-01-31 10:30:00",
      "2024-02-01 23:59:59",
      null,
      null,
    ]);
  });

  it("writes numbers, integers and dates as text", async () => {
    const rows = await run([
      {
        kind: "cast",
        columns: [
          { column: "price", type: "text" },
          { column: "units", type: "text" },
          { column: "day", type: "text" },
        ],
      },
      { kind: "select", columns: [{ column: "price" }, { column: "units" }, { column: "day" }] },
    ]);
    expect(rows).toEqual([
      { price: "2.5", units: "3", day: "2024-01-05" },
      { price: "0.5", units: "10", day: "2024-02-10" },
      { price: "4.0", units: null, day: "2024-03-15" },
      { price: null, units: "5", day: null },
      { price: "1.5", units: "1", day: "2024-01-20" },
    ]);
  });

  it("turns numbers into integers and integers into numbers", async () => {
    const rows = await run([
      { kind: "compute", name: "price", expression: "price * 3" },
      {
        kind: "cast",
        columns: [
          { column: "price", type: "integer" },
          { column: "units", type: "number" },
        ],
      },
    ]);
    // 7.5, 1.5, 12, empty, 4.5: halves away from zero, as round() and integer() do
    expect(rows.map((row) => [row.price, row.units])).toEqual([
      ["8", 3],
      ["2", 10],
      ["12", null],
      [null, 5],
      ["5", 1],
    ]);
  });

  it("leaves a column cast to its own type as it is", () => {
    const relation = compile([{ kind: "cast", columns: [{ column: "units", type: "integer" }] }]);
    expect(relation.sql).toContain('"units" AS "units"');
    expect(relation.sql).not.toContain("TRY_CAST");
  });

  it("refuses a column that is not there", () => {
    expect(refusal([{ kind: "cast", columns: [{ column: 12, type: "text" }] }])).toBe(
      `there is no column 12; the table has 10 columns: ${SALES_NAMES}`,
    );
  });
});

describe("filter", () => {
  it("knows every operator the schema offers", () => {
    // a new operator needs its own tests below
    expect([...FILTER_OPERATORS]).toEqual([
      "equals",
      "not_equals",
      "in",
      "not_in",
      "contains",
      "starts_with",
      "ends_with",
      "regex",
      "greater_than",
      "at_least",
      "less_than",
      "at_most",
      "between",
      "empty",
      "not_empty",
    ]);
  });

  it.each<[string, TCondition, number[]]>([
    ["equals ignores case", { column: "region", operator: "equals", value: "north" }, [1, 3]],
    [
      "equals minds case when asked",
      { column: "region", operator: "equals", value: "north", caseSensitive: true },
      [],
    ],
    [
      "equals with case, matching",
      { column: "region", operator: "equals", value: "North", caseSensitive: true },
      [1, 3],
    ],
    [
      "not_equals keeps empty rows",
      { column: "region", operator: "not_equals", value: "SOUTH" },
      [1, 3, 4],
    ],
    [
      "not_equals minding case",
      { column: "region", operator: "not_equals", value: "south", caseSensitive: true },
      [1, 3, 4, 5],
    ],
    [
      "in ignores case",
      { column: "product", operator: "in", values: ["apple", "BANANA"] },
      [1, 2, 4, 5],
    ],
    [
      "in minding case",
      { column: "product", operator: "in", values: ["Apple", "BANANA"], caseSensitive: true },
      [1, 4],
    ],
    [
      "not_in keeps empty rows",
      { column: "region", operator: "not_in", values: ["north"] },
      [2, 4, 5],
    ],
    ["contains", { column: "product", operator: "contains", value: "AN" }, [2, 5]],
    [
      "contains minding case",
      { column: "product", operator: "contains", value: "B", caseSensitive: true },
      [2],
    ],
    ["contains on a number's digits", { column: "units", operator: "contains", value: 1 }, [2, 5]],
    ["starts_with", { column: "product", operator: "starts_with", value: "CH" }, [3]],
    ["ends_with", { column: "product", operator: "ends_with", value: "LE" }, [1, 4]],
    ["regex ignores case", { column: "product", operator: "regex", value: "^[ab]" }, [1, 2, 4, 5]],
    [
      "regex minding case",
      { column: "product", operator: "regex", value: "^[ab]", caseSensitive: true },
      [5],
    ],
    ["regex finds a part", { column: "code", operator: "regex", value: "[0-9]$" }, [1, 2, 5]],
    ["equals on integers", { column: "units", operator: "equals", value: 10 }, [2]],
    [
      "equals on integers, value as text",
      { column: "units", operator: "equals", value: " 5 " },
      [4],
    ],
    [
      "not_equals on integers keeps empty rows",
      { column: "units", operator: "not_equals", value: 3 },
      [2, 3, 4, 5],
    ],
    ["in on integers", { column: "units", operator: "in", values: [3, "10"] }, [1, 2]],
    [
      "not_in on integers keeps empty rows",
      { column: "units", operator: "not_in", values: [3] },
      [2, 3, 4, 5],
    ],
    ["greater_than on integers", { column: "units", operator: "greater_than", value: 3 }, [2, 4]],
    ["at_least on integers", { column: "units", operator: "at_least", value: 3 }, [1, 2, 4]],
    ["less_than on integers", { column: "units", operator: "less_than", value: 3 }, [5]],
    ["at_most on integers", { column: "units", operator: "at_most", value: "3" }, [1, 5]],
    [
      "between on integers, ends included",
      { column: "units", operator: "between", min: 1, max: 5 },
      [1, 4, 5],
    ],
    [
      "greater_than a fraction",
      { column: "units", operator: "greater_than", value: 2.5 },
      [1, 2, 4],
    ],
    ["greater_than on numbers", { column: "price", operator: "greater_than", value: 1.5 }, [1, 3]],
    ["at_least on numbers", { column: "price", operator: "at_least", value: 1.5 }, [1, 3, 5]],
    ["less_than a negative number", { column: "price", operator: "less_than", value: -1 }, []],
    [
      "between on numbers, values as text",
      { column: "price", operator: "between", min: "0.5", max: "2.5" },
      [1, 2, 5],
    ],
    ["equals on dates", { column: "day", operator: "equals", value: "2024-02-10" }, [2]],
    [
      "greater_than on dates",
      { column: "day", operator: "greater_than", value: "2024-01-20" },
      [2, 3],
    ],
    ["at_least on dates", { column: "day", operator: "at_least", value: "2024-01-20" }, [2, 3, 5]],
    ["less_than on dates", { column: "day", operator: "less_than", value: "2024-02-10" }, [1, 5]],
    ["at_most on dates", { column: "day", operator: "at_most", value: "2024-02-10" }, [1, 2, 5]],
    [
      "between on dates",
      { column: "day", operator: "between", min: "2024-01-05", max: "2024-01-31" },
      [1, 5],
    ],
    [
      "a date against a time",
      { column: "day", operator: "less_than", value: "2024-01-20 00:00" },
      [1],
    ],
    [
      "greater_than on timestamps",
      { column: "at", operator: "greater_than", value: "2024-01-20 12:00" },
      [2, 4],
    ],
    [
      "at_least on timestamps, with a T",
      { column: "at", operator: "at_least", value: "2024-01-20T12:00:00" },
      [2, 4, 5],
    ],
    [
      "between on timestamps, with dates",
      { column: "at", operator: "between", min: "2024-01-01", max: "2024-01-31" },
      [1, 5],
    ],
    ["equals true", { column: "active", operator: "equals", value: true }, [1, 3]],
    ["equals 'FALSE'", { column: "active", operator: "equals", value: "FALSE" }, [2, 5]],
    [
      "not_equals true keeps empty rows",
      { column: "active", operator: "not_equals", value: true },
      [2, 4, 5],
    ],
    ["empty text is NULL, '' or spaces", { column: "note", operator: "empty" }, [2, 3, 4]],
    ["not_empty text", { column: "note", operator: "not_empty" }, [1, 5]],
    ["empty integers", { column: "units", operator: "empty" }, [3]],
    ["not_empty dates", { column: "day", operator: "not_empty" }, [1, 2, 3, 5]],
    ["by position", { column: 2, operator: "equals", value: "south" }, [2, 5]],
  ])("%s", async (_, condition, expected) => {
    expect(await ids(filter(condition))).toEqual(expected);
  });

  it("keeps a row when all conditions hold, or when any does", async () => {
    const conditions: TCondition[] = [
      { column: "region", operator: "equals", value: "south" },
      { column: "units", operator: "greater_than", value: 4 },
    ];
    expect(await ids([{ kind: "filter", conditions }])).toEqual([2]);
    expect(await ids([{ kind: "filter", match: "all", conditions }])).toEqual([2]);
    expect(await ids([{ kind: "filter", match: "any", conditions }])).toEqual([2, 4, 5]);
  });

  it("any with a negated condition and an empty test", async () => {
    expect(
      await ids([
        {
          kind: "filter",
          match: "any",
          conditions: [
            { column: "product", operator: "not_in", values: ["apple", "banana"] },
            { column: "units", operator: "empty" },
            { column: "id", operator: "equals", value: 5 },
          ],
        },
      ]),
    ).toEqual([3, 5]);
  });

  it("filters by an expression, an empty result counting as false", async () => {
    // units * price: 7.5, 5, empty, empty, 1.5
    expect(await ids([{ kind: "filter", expression: "units * price > 5" }])).toEqual([1]);
    expect(await ids([{ kind: "filter", expression: "not (units * price > 5)" }])).toEqual([2, 5]);
  });

  it("combines the expression with the conditions the same way", async () => {
    const step = {
      kind: "filter",
      conditions: [{ column: "region", operator: "equals", value: "north" }],
      expression: "units > 2",
    };
    expect(await ids([step])).toEqual([1]);
    expect(await ids([{ ...step, match: "any" }])).toEqual([1, 2, 3, 4]);
  });

  it("without conditions keeps every row and adds no query", () => {
    const compiled = compileSteps(
      SALES,
      ZSteps.parse([{ kind: "filter", expression: "  " }]),
      lookup,
    );
    expect(compiled).toEqual({ relations: [SALES], failure: null });
  });

  it("treats quotes in values as text", async () => {
    expect(await ids(filter({ column: "product", operator: "equals", value: "it's" }))).toEqual([]);
    expect(await ids(filter({ column: "product", operator: "regex", value: "'" }))).toEqual([]);
  });

  it.each<[string, TCondition, string]>([
    [
      "a range on text",
      { column: "region", operator: "greater_than", value: "m" },
      "ranges need numbers or dates, and 'region' is text: change its type first",
    ],
    [
      "between on true/false",
      { column: "active", operator: "between", min: 0, max: 1 },
      "ranges need numbers or dates, and 'active' is a boolean: change its type first",
    ],
    [
      "a word for a number",
      { column: "units", operator: "equals", value: "ten" },
      "'ten' is not a number, and 'units' holds numbers",
    ],
    [
      "a word in a list of numbers",
      { column: "price", operator: "in", values: [1, "1,5"] },
      "'1,5' is not a number, and 'price' holds numbers",
    ],
    [
      "a blank number",
      { column: "units", operator: "at_least", value: "  " },
      "'' is not a number, and 'units' holds numbers",
    ],
    [
      "a day-first date",
      { column: "day", operator: "greater_than", value: "31/01/2024" },
      "write the date to compare 'day' with as 2024-03-31 (or 2024-03-31 14:30), not '31/01/2024'",
    ],
    [
      "a date without its day",
      { column: "at", operator: "between", min: "2024-01", max: "2024-02-01" },
      "write the date to compare 'at' with as 2024-03-31 (or 2024-03-31 14:30), not '2024-01'",
    ],
    [
      "a word for true/false",
      { column: "active", operator: "equals", value: "yes" },
      "'active' holds true or false, not 'yes'",
    ],
    [
      "an empty list",
      { column: "product", operator: "in", values: [] },
      "list at least one value for 'product'",
    ],
    [
      "not_in without a list",
      { column: "units", operator: "not_in" },
      "list at least one value for 'units'",
    ],
    [
      "a missing value",
      { column: "product", operator: "starts_with" },
      "give a value to compare with (starts with)",
    ],
    [
      "an empty value",
      { column: "product", operator: "equals", value: "" },
      "give a value to compare with (equals)",
    ],
    [
      "between without its upper end",
      { column: "units", operator: "between", min: 1 },
      "give a value to compare with (between)",
    ],
    [
      "a column that is not there",
      { column: "colour", operator: "empty" },
      `column 'colour' not found; columns are: ${SALES_NAMES}`,
    ],
  ])("refuses %s", (_, condition, message) => {
    expect(refusal(filter(condition))).toBe(message);
  });

  it.each([
    ["units + 1", "an integer"],
    ["price * 2", "a number"],
    ["region", "text"],
    ["day", "a date"],
  ])("refuses the expression %s, which is not true or false", (expression, what) => {
    expect(refusal([{ kind: "filter", expression }])).toBe(
      `the filter's expression gives ${what}, not true or false; compare it with something (for example: price > 10)`,
    );
  });

  it("passes on the expression's own refusal", () => {
    expect(refusal([{ kind: "filter", expression: "colour == 'red'" }])).toBe(
      `column 'colour' not found; columns are: ${SALES_NAMES}`,
    );
  });
});

describe("dedupe", () => {
  const DUPS: TRelation = {
    sql: `SELECT CAST(k AS VARCHAR) AS k, CAST(v AS BIGINT) AS v FROM (VALUES
      ('b', 1), ('a', 1), ('b', 1), ('a', 2), ('b', 3), (NULL, 4), (NULL, 5), ('a', 1)) AS d(k, v)`,
    columns: [
      { name: "k", type: "text" },
      { name: "v", type: "integer" },
    ],
  };
  const pairs = (rows: Record<string, unknown>[]) => rows.map((row) => [row.k, Number(row.v)]);

  it("keeps the first row of each key, in the original order", async () => {
    expect(pairs(await run([{ kind: "dedupe", columns: ["k"] }], DUPS))).toEqual([
      ["b", 1],
      ["a", 1],
      [null, 4],
    ]);
  });

  it("keeps the last row of each key, in the original order", async () => {
    expect(pairs(await run([{ kind: "dedupe", columns: [1], keep: "last" }], DUPS))).toEqual([
      ["b", 3],
      [null, 5],
      ["a", 1],
    ]);
  });

  it("compares every column when none is named", async () => {
    expect(pairs(await run([{ kind: "dedupe" }], DUPS))).toEqual([
      ["b", 1],
      ["a", 1],
      ["a", 2],
      ["b", 3],
      [null, 4],
      [null, 5],
    ]);
    expect(pairs(await run([{ kind: "dedupe", keep: "last" }], DUPS))).toEqual([
      ["b", 1],
      ["a", 2],
      ["b", 3],
      [null, 4],
      [null, 5],
      ["a", 1],
    ]);
  });

  it("dedupes on several columns and keeps the columns it had", async () => {
    const relation = compile([{ kind: "dedupe", columns: ["region", "active"] }]);
    expect(relation.columns).toEqual(SALES_COLUMNS);
    expect((await rowsOf(relation)).map((row) => Number(row.id))).toEqual([1, 2, 4, 5]);
  });

  it("keeps the order a sort gave", async () => {
    expect(
      await ids([
        { kind: "sort", keys: [{ column: "units", descending: true }] },
        { kind: "dedupe", columns: ["product"] },
      ]),
    ).toEqual([2, 4, 5, 3]);
  });

  it("refuses a column that is not there", () => {
    expect(refusal([{ kind: "dedupe", columns: ["colour"] }])).toBe(
      `column 'colour' not found; columns are: ${SALES_NAMES}`,
    );
  });
});

describe("sort and limit", () => {
  it("sorts on several columns, descending where asked, empty values last", async () => {
    // 'North' < 'South' < 'south' in binary order; empty region last, and in North empty units last
    expect(
      await ids([
        {
          kind: "sort",
          keys: [{ column: "region" }, { column: "units", descending: true }],
        },
      ]),
    ).toEqual([1, 3, 5, 2, 4]);
  });

  it("puts empty values last when descending too", async () => {
    expect(await ids([{ kind: "sort", keys: [{ column: "units", descending: true }] }])).toEqual([
      2, 4, 1, 5, 3,
    ]);
    expect(await ids([{ kind: "sort", keys: [{ column: 4 }] }])).toEqual([5, 1, 4, 2, 3]);
  });

  it("sorts dates, timestamps and true/false", async () => {
    expect(await ids([{ kind: "sort", keys: [{ column: "day" }] }])).toEqual([1, 5, 2, 3, 4]);
    expect(await ids([{ kind: "sort", keys: [{ column: "at", descending: true }] }])).toEqual([
      4, 2, 5, 1, 3,
    ]);
    expect(await ids([{ kind: "sort", keys: [{ column: "active" }] }])).toEqual([2, 5, 1, 3, 4]);
  });

  it("keeps rows that tie in the order they arrived, however many there are", async () => {
    const rows = await run([{ kind: "sort", keys: [{ column: "g", descending: true }] }], {
      sql: "SELECT * FROM many",
      columns: [
        { name: "id", type: "integer" },
        { name: "g", type: "integer" },
      ],
    });
    expect(rows).toHaveLength(200_000);
    let outOfOrder = 0;
    for (let index = 1; index < rows.length; index++) {
      const [before, after] = [rows[index - 1]!, rows[index]!];
      if (Number(before.g) < Number(after.g)) outOfOrder++;
      if (before.g === after.g && Number(before.id) > Number(after.id)) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
  });

  it("refuses a key that is not a column", () => {
    expect(refusal([{ kind: "sort", keys: [{ column: 0 + 11 }] }])).toBe(
      `there is no column 11; the table has 10 columns: ${SALES_NAMES}`,
    );
  });

  it("limits after an offset", async () => {
    const sort = { kind: "sort", keys: [{ column: "id", descending: true }] };
    expect(await ids([sort, { kind: "limit", rows: 2, offset: 1 }])).toEqual([4, 3]);
    expect(await ids([sort, { kind: "limit", rows: 2 }])).toEqual([5, 4]);
    expect(await ids([sort, { kind: "limit", rows: 10, offset: 3 }])).toEqual([2, 1]);
    expect(await ids([sort, { kind: "limit", rows: 0 }])).toEqual([]);
    expect(await ids([sort, { kind: "limit", rows: 3, offset: 5 }])).toEqual([]);
  });
});

describe("compute", () => {
  it("adds a column of the expression's type", async () => {
    const relation = compile([{ kind: "compute", name: "revenue", expression: "units * price" }]);
    expect(relation.columns).toEqual([...SALES_COLUMNS, { name: "revenue", type: "number" }]);
    expect((await rowsOf(relation)).map((row) => row.revenue)).toEqual([7.5, 5, null, null, 1.5]);
  });

  it("replaces a column in its place, with the type it now has", async () => {
    const relation = compile([
      { kind: "compute", name: "region", expression: "length(region)" },
      { kind: "compute", name: "units", expression: "units * 2" },
    ]);
    expect(relation.columns.map((column) => column.name)).toEqual(
      SALES_COLUMNS.map((column) => column.name),
    );
    expect(relation.columns[1]).toEqual({ name: "region", type: "integer" });
    expect(relation.columns[3]).toEqual({ name: "units", type: "integer" });
    const rows = await rowsOf(relation);
    expect(rows.map((row) => [row.region, row.units])).toEqual([
      ["5", "6"],
      ["5", "20"],
      ["5", null],
      [null, "10"],
      ["5", "2"],
    ]);
  });

  it("hands its type to the steps after it", async () => {
    expect(
      await ids([
        { kind: "compute", name: "big", expression: "units >= 5" },
        { kind: "filter", conditions: [{ column: "big", operator: "equals", value: true }] },
      ]),
    ).toEqual([2, 4]);
    expect(
      refusal([
        { kind: "compute", name: "label", expression: "text(units)" },
        { kind: "filter", conditions: [{ column: "label", operator: "at_least", value: 3 }] },
      ]),
    ).toBe("ranges need numbers or dates, and 'label' is text: change its type first");
  });

  it("refuses a name that differs from a column's only in capitals", () => {
    expect(refusal([{ kind: "compute", name: "Region", expression: "upper(region)" }])).toBe(
      "'region' and 'Region' would be one column (names ignore capitals); rename one",
    );
  });

  it("passes on the expression's refusal", () => {
    expect(refusal([{ kind: "compute", name: "x", expression: "region + 1" }])).toBe(
      `'+' adds numbers, but region is text; to join text use & (as in first & " " & last) or concat(...)`,
    );
  });
});

describe("group", () => {
  it("summarises each group with every aggregate, groups sorted, empty group last", async () => {
    const relation = compile([
      {
        kind: "group",
        by: ["region"],
        aggregates: [
          { function: "count" },
          { function: "count", column: "units" },
          { function: "count_distinct", column: "product" },
          { function: "sum", column: "units" },
          { function: "sum", column: "price" },
          { function: "mean", column: "price", name: "average price" },
          { function: "min", column: "day" },
          { function: "max", column: "units" },
          { function: "first", column: "product" },
          { function: "last", column: "product" },
        ],
      },
    ]);
    expect(relation.columns).toEqual([
      { name: "region", type: "text" },
      { name: "count", type: "integer" },
      { name: "count_units", type: "integer" },
      { name: "count_distinct_product", type: "integer" },
      { name: "sum_units", type: "integer" },
      { name: "sum_price", type: "number" },
      { name: "average price", type: "number" },
      { name: "min_day", type: "date" },
      { name: "max_units", type: "integer" },
      { name: "first_product", type: "text" },
      { name: "last_product", type: "text" },
    ]);
    expect((await rowsOf(relation)).map((row) => Object.values(row))).toEqual([
      ["North", "2", "1", "2", "3", 6.5, 3.25, "2024-01-05", "3", "Apple", "cherry"],
      ["South", "1", "1", "1", "1", 1.5, 1.5, "2024-01-20", "1", "banana", "banana"],
      ["south", "1", "1", "1", "10", 0.5, 0.5, "2024-02-10", "10", "Banana", "Banana"],
      [null, "1", "1", "1", "5", null, null, null, "5", "Apple", "Apple"],
    ]);
  });

  it("takes first and last in the order rows arrive, skipping empty values", async () => {
    const source: TRelation = {
      sql: `SELECT CAST(k AS VARCHAR) AS k, CAST(v AS VARCHAR) AS v, CAST(n AS BIGINT) AS n FROM (VALUES
        ('x', NULL, 5), ('y', 'm', 1), ('x', 'c', 3), ('x', 'a', 9), ('y', 'z', 2), ('x', 'b', 1), ('x', NULL, 4)) AS g(k, v, n)`,
      columns: [
        { name: "k", type: "text" },
        { name: "v", type: "text" },
        { name: "n", type: "integer" },
      ],
    };
    const rows = await run(
      [
        {
          kind: "group",
          by: [1],
          aggregates: [
            { function: "first", column: "v" },
            { function: "last", column: "v" },
            { function: "first", column: "n" },
            { function: "last", column: "n" },
            { function: "min", column: "v" },
            { function: "max", column: "v" },
          ],
        },
      ],
      source,
    );
    expect(rows).toEqual([
      { k: "x", first_v: "c", last_v: "b", first_n: "5", last_n: "4", min_v: "a", max_v: "c" },
      { k: "y", first_v: "m", last_v: "z", first_n: "1", last_n: "2", min_v: "m", max_v: "z" },
    ]);
  });

  it("keeps the order of first and last after a sort", async () => {
    const rows = await run([
      { kind: "sort", keys: [{ column: "id", descending: true }] },
      {
        kind: "group",
        by: ["product"],
        aggregates: [
          { function: "first", column: "id" },
          { function: "last", column: "id" },
        ],
      },
    ]);
    expect(rows.find((row) => row.product === "Apple")).toEqual({
      product: "Apple",
      first_id: "4",
      last_id: "1",
    });
  });

  it("summarises the whole table in one row when there is no group", async () => {
    const rows = await run([
      {
        kind: "group",
        aggregates: [
          { function: "count", name: "rows" },
          { function: "sum", column: "units" },
          { function: "mean", column: "units" },
          { function: "count_distinct", column: "region" },
          { function: "max", column: "at" },
        ],
      },
    ]);
    expect(rows).toEqual([
      {
        rows: "5",
        sum_units: "19",
        mean_units: 4.75,
        count_distinct_region: "3",
        max_at: "2024-03-01 00:00:00",
      },
    ]);
  });

  it("gives one row of zero count and empty sum for no rows", async () => {
    const rows = await run([
      { kind: "filter", conditions: [{ column: "id", operator: "greater_than", value: 99 }] },
      {
        kind: "group",
        aggregates: [{ function: "count" }, { function: "sum", column: "units" }],
      },
    ]);
    expect(rows).toEqual([{ count: "0", sum_units: null }]);
  });

  it("groups on several columns, without aggregates", async () => {
    const rows = await run([{ kind: "group", by: ["active", "region"] }]);
    expect(rows).toEqual([
      { active: false, region: "South" },
      { active: false, region: "south" },
      { active: true, region: "North" },
      { active: null, region: null },
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      "a sum of text",
      { by: ["region"], aggregates: [{ function: "sum", column: "product" }] },
      "the sum needs numbers, and 'product' is text: change its type first",
    ],
    [
      "a mean of dates",
      { aggregates: [{ function: "mean", column: "day" }] },
      "the mean needs numbers, and 'day' is a date: change its type first",
    ],
    [
      "nothing to group by or count",
      { by: [], aggregates: [] },
      "group by at least one column, or add a summary such as a count",
    ],
    [
      "a count distinct of no column",
      { aggregates: [{ function: "count_distinct" }] },
      "choose the column to take the count distinct of",
    ],
    [
      "a first of no column",
      { by: ["region"], aggregates: [{ function: "first" }] },
      "choose the column to take the first of",
    ],
    [
      "two counts of one name",
      { by: ["region"], aggregates: [{ function: "count" }, { function: "count" }] },
      "two columns would be called 'count'; rename one",
    ],
    [
      "a summary named like a grouped column",
      { by: ["region"], aggregates: [{ function: "count", name: "region" }] },
      "two columns would be called 'region'; rename one",
    ],
    [
      "a summary named like a grouped column in other capitals",
      { by: ["region"], aggregates: [{ function: "count", name: "REGION" }] },
      "'region' and 'REGION' would be one column (names ignore capitals); rename one",
    ],
    [
      "a column that is not there",
      { by: ["colour"] },
      `column 'colour' not found; columns are: ${SALES_NAMES}`,
    ],
  ])("refuses %s", (_, step, message) => {
    expect(refusal([{ kind: "group", ...(step as object) }])).toBe(message);
  });
});

describe("join", () => {
  const join = (fields: object) => ({ kind: "join", tableId: "regions", ...fields });

  it("looks up every other column, first match only, keeping all left rows in order", async () => {
    const relation = compile([join({ on: [{ left: "region", right: "region" }] })]);
    expect(relation.columns).toEqual([
      ...SALES_COLUMNS,
      { name: "manager", type: "text" },
      { name: "units_2", type: "integer" },
      { name: "budget", type: "number" },
    ]);
    const rows = await rowsOf(relation);
    expect(rows.map((row) => [Number(row.id), row.manager, row.units_2, row.budget])).toEqual([
      [1, "Ann", "100", 1.5],
      [2, null, null, null],
      [3, "Ann", "100", 1.5],
      [4, null, null, null],
      [5, "Bob", "200", 2.5],
    ]);
    // the left table's own column keeps its name and values
    expect(rows.map((row) => row.units)).toEqual(["3", "10", null, "5", "1"]);
  });

  it("an inner join keeps only the rows that match, in their order", async () => {
    const rows = await run([
      { kind: "sort", keys: [{ column: "id", descending: true }] },
      join({ type: "inner", on: [{ left: 2, right: "region" }], columns: ["manager"] }),
    ]);
    expect(rows.map((row) => [Number(row.id), row.manager])).toEqual([
      [5, "Bob"],
      [3, "Ann"],
      [1, "Ann"],
    ]);
    expect(Object.keys(rows[0]!)).toEqual([...SALES_COLUMNS.map((c) => c.name), "manager"]);
  });

  it("takes the first matching row of a large table, whatever order the engine reads it in", async () => {
    const rows = await run([{ kind: "join", tableId: "big", on: [{ left: "k", right: "k" }] }], {
      sql: "SELECT CAST(i AS BIGINT) AS k FROM range(1000) AS r(i)",
      columns: [{ name: "k", type: "integer" }],
    });
    expect(rows).toHaveLength(1000);
    expect(rows.filter((row) => row.v !== "first")).toEqual([]);
    expect(rows.map((row) => Number(row.k))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("matches on several columns, integers with numbers", async () => {
    const rows = await run([
      { kind: "compute", name: "hundreds", expression: "units * 100 / 10" },
      join({
        type: "inner",
        on: [
          { left: "region", right: "region" },
          { left: "hundreds", right: "units" },
        ],
        columns: ["manager"],
      }),
    ]);
    // hundreds is 30, 100, empty, 50, 10: none is the units of its region's rows
    expect(rows).toEqual([]);
    const matched = await run([
      { kind: "compute", name: "hundreds", expression: "units * 100" },
      join({
        type: "inner",
        on: [
          { left: "region", right: "region" },
          { left: "hundreds", right: "units" },
        ],
        columns: ["manager"],
      }),
    ]);
    // id 1 is North with 300: Zed's row, not Ann's (North with 100)
    expect(matched.map((row) => [Number(row.id), row.manager])).toEqual([[1, "Zed"]]);
  });

  it("adds a listed column that clashes, key included, as name_2", async () => {
    const relation = compile([
      join({ on: [{ left: "region", right: "region" }], columns: ["region", "units"] }),
    ]);
    expect(relation.columns.slice(-2)).toEqual([
      { name: "region_2", type: "text" },
      { name: "units_2", type: "integer" },
    ]);
    const rows = await rowsOf(relation);
    expect(rows.map((row) => row.region_2)).toEqual(["North", null, "North", null, "South"]);
  });

  it("counts on from _2 when that is taken too", async () => {
    const relation = compile([
      { kind: "compute", name: "manager", expression: "'x'" },
      { kind: "compute", name: "manager_2", expression: "'y'" },
      join({ on: [{ left: "region", right: "region" }], columns: ["manager"] }),
    ]);
    expect(relation.columns.at(-1)).toEqual({ name: "manager_3", type: "text" });
    expect((await rowsOf(relation)).map((row) => row.manager_3)).toEqual([
      "Ann",
      null,
      "Ann",
      null,
      "Bob",
    ]);
  });

  it("renames a looked-up column that clashes in other capitals", async () => {
    const rows = await run([
      { kind: "join", tableId: "ids", on: [{ left: "id", right: "ID" }], columns: ["ID", "label"] },
    ]);
    expect(rows.map((row) => [row.id, row.ID_2, row.label])).toEqual([
      ["1", "1", "x1"],
      ["2", "2", "x2"],
      ["3", "3", "x3"],
      ["4", "4", "x4"],
      ["5", "5", "x5"],
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      "keys of types that cannot match",
      join({ on: [{ left: "units", right: "region" }] }),
      "cannot match 'units' (integer) with 'region' (text): change one's type first",
    ],
    [
      "a date with text",
      join({ on: [{ left: "day", right: "manager" }] }),
      "cannot match 'day' (date) with 'manager' (text): change one's type first",
    ],
    [
      "a table that is gone",
      { kind: "join", tableId: "gone", on: [{ left: "region", right: "region" }] },
      "the table to look up no longer exists; choose another",
    ],
    [
      "a key the looked-up table does not have",
      join({ on: [{ left: "region", right: "area" }] }),
      "'Regions' has no column 'area'; columns are: region, manager, units, budget",
    ],
    [
      "an added column the looked-up table does not have",
      join({ on: [{ left: "region", right: "region" }], columns: ["boss"] }),
      "column 'boss' not found; columns are: region, manager, units, budget",
    ],
    [
      "a left key that is not there",
      join({ on: [{ left: "area", right: "region" }] }),
      `column 'area' not found; columns are: ${SALES_NAMES}`,
    ],
  ])("refuses %s", (_, step, message) => {
    expect(refusal([step])).toBe(message);
  });
});

describe("compileSteps", () => {
  it("compiles nothing for no steps", () => {
    expect(compileSteps(SALES, [], lookup)).toEqual({ relations: [], failure: null });
  });

  it("stops at the first failing step, keeping the relations before it", async () => {
    const steps = ZSteps.parse([
      { kind: "select", columns: [{ column: "id" }, { column: "units" }] },
      { kind: "rename", columns: [{ column: "units", name: "qty" }] },
      { kind: "filter", conditions: [{ column: "units", operator: "equals", value: 3 }] },
      { kind: "sort", keys: [{ column: "nothing" }] },
    ]);
    const compiled = compileSteps(SALES, steps, lookup);
    expect(compiled.failure).toEqual({
      step: 2,
      message: "column 'units' not found; columns are: id, qty",
    });
    expect(compiled.relations).toHaveLength(2);
    expect(compiled.relations[1]!.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "qty", type: "integer" },
    ]);
    // what compiled still runs
    expect((await rowsOf(compiled.relations[1]!)).map((row) => row.qty)).toEqual([
      "3",
      "10",
      null,
      "5",
      "1",
    ]);
  });

  it("reports a failing first step with no relations", () => {
    const compiled = compileSteps(
      SALES,
      ZSteps.parse([
        { kind: "select", columns: [{ column: 99 }] },
        { kind: "limit", rows: 1 },
      ]),
      lookup,
    );
    expect(compiled).toEqual({
      relations: [],
      failure: {
        step: 0,
        message: `there is no column 99; the table has 10 columns: ${SALES_NAMES}`,
      },
    });
  });

  it("keeps the sorted order through a filter and a select", async () => {
    const rows = await run([
      { kind: "sort", keys: [{ column: "price", descending: true }] },
      { kind: "filter", conditions: [{ column: "price", operator: "not_empty" }] },
      { kind: "select", columns: [{ column: "price" }, { column: "id" }] },
    ]);
    expect(rows).toEqual([
      { price: 4, id: "3" },
      { price: 2.5, id: "1" },
      { price: 1.5, id: "5" },
      { price: 0.5, id: "2" },
    ]);
  });

  it("keeps the sorted order of many rows through a filter, a select and a limit", async () => {
    const rows = await run(
      [
        { kind: "sort", keys: [{ column: "id", descending: true }] },
        { kind: "filter", conditions: [{ column: "g", operator: "not_equals", value: 1 }] },
        { kind: "select", columns: [{ column: "id" }] },
        { kind: "limit", rows: 100_000, offset: 10 },
      ],
      {
        sql: "SELECT * FROM many",
        columns: [
          { name: "id", type: "integer" },
          { name: "g", type: "integer" },
        ],
      },
    );
    const got = rows.map((row) => Number(row.id));
    const expected = Array.from({ length: 200_000 }, (_, i) => 199_999 - i)
      .filter((id) => id % 3 !== 1)
      .slice(10, 100_010);
    expect(got).toEqual(expected);
  });

  it("chains every kind of step", async () => {
    const rows = await run([
      { kind: "filter", conditions: [{ column: "product", operator: "not_empty" }] },
      { kind: "cast", columns: [{ column: "code", type: "integer" }] },
      { kind: "compute", name: "revenue", expression: "coalesce(units, 0) * coalesce(price, 0)" },
      {
        kind: "join",
        tableId: "regions",
        on: [{ left: "region", right: "region" }],
        columns: ["manager"],
      },
      { kind: "rename", columns: [{ column: "manager", name: "boss" }] },
      { kind: "dedupe", columns: ["product"] },
      {
        kind: "group",
        by: ["boss"],
        aggregates: [
          { function: "sum", column: "revenue" },
          { function: "sum", column: "code" },
        ],
      },
      { kind: "sort", keys: [{ column: "sum_revenue", descending: true }] },
      { kind: "limit", rows: 2 },
      {
        kind: "select",
        columns: [{ column: "boss" }, { column: 2, name: "revenue" }, { column: 3, name: "codes" }],
      },
    ]);
    // first of each product: Apple (1, Ann, 7.5, 42), Banana (2, none, 5, 7), cherry (3, Ann, 0, NULL),
    // banana (5, Bob, 1.5, 12)
    expect(rows).toEqual([
      { boss: "Ann", revenue: 7.5, codes: "42" },
      { boss: null, revenue: 5, codes: "7" },
    ]);
  });
});

describe("a filter on a date that is not in the calendar", () => {
  it("is refused instead of matching nothing", () => {
    const result = compileSteps(
      { sql: "SELECT DATE '2024-01-01' AS d", columns: [{ name: "d", type: "date" }] },
      [
        {
          kind: "filter",
          match: "all",
          conditions: [{ column: "d", operator: "at_least", value: "2024-02-30" }],
        },
      ],
      () => undefined,
    );
    expect(result.failure).toEqual({
      step: 0,
      message: "'2024-02-30' is not a date in the calendar",
    });
  });
});

describe("a change of type that would empty a column", () => {
  it("is refused: numbers do not become dates, nor dates numbers", () => {
    const source: TRelation = {
      sql: "SELECT 1.5 AS price, DATE '2024-01-01' AS day",
      columns: [
        { name: "price", type: "number" },
        { name: "day", type: "date" },
      ],
    };
    const toDate = compileSteps(
      source,
      [{ kind: "cast", columns: [{ column: "price", type: "date" }] }],
      () => undefined,
    );
    expect(toDate.failure).toEqual({
      step: 0,
      message: "'price' is a number and cannot become a date",
    });
    const toNumber = compileSteps(
      source,
      [{ kind: "cast", columns: [{ column: "day", type: "integer" }] }],
      () => undefined,
    );
    expect(toNumber.failure).toEqual({
      step: 0,
      message: "'day' is a date and cannot become an integer",
    });
    const toText = compileSteps(
      source,
      [
        {
          kind: "cast",
          columns: [
            { column: "day", type: "text" },
            { column: "price", type: "integer" },
          ],
        },
      ],
      () => undefined,
    );
    expect(toText.failure).toBeNull();
  });
});
