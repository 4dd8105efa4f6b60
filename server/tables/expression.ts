import jsep from "jsep";
import {
  SQL_TYPE,
  TableError,
  columnNotFound,
  isNumeric,
  isTemporal,
  quoteIdent,
  quoteString,
  type TColumn,
  type TColumnType,
} from "./table-types";

/**
 * Computed columns: a formula, like a spreadsheet cell's, worked out for every row.
 *
 * Columns
 *   Write a column by its name: `price`, `unit_price`. A name with spaces or symbols goes in
 *   col(...): `col("Unit price")`, and so does a column called and, or, not, true, false, null
 *   or this. Capitals do not matter when only one column matches.
 *
 * Values
 *   Numbers `12` and `1.5`, text in quotes `'Paris'` or `"Paris"`, `true`, `false`, and `null`
 *   (an empty value). A date is written as text, `'2024-01-31'` or `'2024-01-31 18:30'`, where
 *   it is compared with a date column or stands in for one.
 *
 * Operators, from loosest to tightest
 *   cond ? a : b
 *   or (or ||), then and (or &&)
 *   == (or =), != (or <>), <, <=, >, >=
 *   &        joins values as text: first & " " & last; an empty value adds nothing
 *   + -, then * / %
 *   -x, not x (or !x), which bind tightest: write not (a > b), not not a > b
 *   A whole number divided by a whole number is a decimal (7 / 2 is 3.5), and dividing by zero
 *   gives an empty value. `x == null` tests for an empty value.
 *
 * Functions
 *   if(condition, then, else)
 *   dates: year, month, day, quarter, weekday (1 = Monday … 7 = Sunday), hour, minute, date
 *   text: upper, lower, trim, length, left(text, n), right(text, n), replace(text, from, to),
 *         contains(text, part), starts_with(text, start), ends_with(text, end), concat(a, b, …)
 *   numbers: round(x) and floor(x) and ceil(x) give whole numbers; round(x, digits); abs(x)
 *   empties: coalesce(a, b, …) is the first of its values that is not empty
 *   conversion: number(x), integer(x) (rounds like round), text(x), date(x); a value that does not
 *         convert becomes empty instead of stopping the export
 */
export const EXPRESSION_HELP = [
  'Columns: price, unit_price, or col("Unit price") for names with spaces or symbols',
  "Values: 12, 1.5, 'text', true, false, null; dates as '2024-01-31'",
  "Maths: + - * / % (division by zero gives empty); join text with &: first & ' ' & last",
  "Compare: == != < <= > >=, combine with and, or, not",
  'Choose: if(price > 100, "high", "low") or price > 100 ? "high" : "low"',
  "Dates: year month day quarter weekday hour minute date",
  "Text: upper lower trim length left right replace contains starts_with ends_with concat",
  "Numbers: round abs floor ceil; empties: coalesce(a, b); convert: number integer text date",
].join("\n");

export type TCompiledExpression = { sql: string; type: TColumnType };

const MAX_SOURCE_LENGTH = 2000;
const MAX_DEPTH = 50;

// Registered once at load: jsep's operator table is global, and this module is its only user.
// `&` sits between comparisons and + as in Excel, so `a & b + 1 == c` reads (a & (b + 1)) == c.
jsep.addBinaryOp("&", 8.5);
jsep.addBinaryOp("=", 6);
jsep.addBinaryOp("<>", 6);
jsep.addBinaryOp("and", 2);
jsep.addBinaryOp("or", 1);
jsep.addUnaryOp("not");

/** A literal `null` has no column type until it meets one. */
type TValueType = TColumnType | "null";

type TTyped = {
  sql: string;
  type: TValueType;
  /** the source, shortened, to name this part in messages */
  label: string;
  /** a string literal's value, kept so it can stand in for a date */
  text?: string;
  /** a whole-number literal's value, so it can be written straight as a DOUBLE */
  whole?: number;
};

const TYPE_WORDS: Record<TValueType, string> = {
  text: "text",
  integer: "a whole number",
  number: "a number",
  boolean: "true/false",
  date: "a date",
  timestamp: "a timestamp",
  null: "null",
};

const numeric = (type: TValueType) => type !== "null" && isNumeric(type);
const temporal = (type: TValueType) => type !== "null" && isTemporal(type);

const is = (part: TTyped) => `${part.label} is ${TYPE_WORDS[part.type]}`;

const COMPARISONS: Record<string, string> = {
  "==": "=",
  "=": "=",
  "===": "=",
  "!=": "<>",
  "<>": "<>",
  "!==": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};
const ARITHMETIC = new Set(["+", "-", "*", "/", "%"]);
const LOGIC: Record<string, string> = { and: "AND", "&&": "AND", or: "OR", "||": "OR" };
const OPERATOR_HINTS: Record<string, string> = {
  "??": "use coalesce(a, b) for the first value that is not empty",
  "|": "use or (or ||) to combine conditions",
  "^": "powers are not supported",
  "**": "powers are not supported",
};

const NULL: TTyped = { sql: "NULL", type: "null", label: "null" };

/** Compiles a user's formula to a parenthesised DuckDB expression and the column type it yields. */
export function compileExpression(
  source: string,
  columns: readonly TColumn[],
): TCompiledExpression {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new TableError(
      `the expression is too long (${source.length} characters; the limit is ${MAX_SOURCE_LENGTH.toLocaleString("en")})`,
    );
  }
  if (source.trim() === "") throw new TableError("the expression is empty");
  // jsep recurses per bracket, so a pathological nest must stop before it reaches the parser
  if (bracketDepth(source) > MAX_DEPTH) throw tooDeep();
  const result = compileNode(parse(source), columns, 0);
  if (result.type === "null") return { sql: "CAST(NULL AS VARCHAR)", type: "text" };
  return { sql: result.sql, type: result.type };
}

function parse(source: string): jsep.Expression {
  let tree: jsep.Expression;
  try {
    tree = jsep(source);
  } catch (error) {
    if (error instanceof Error && "index" in error && typeof error.index === "number") {
      const description = "description" in error ? String(error.description) : error.message;
      throw new TableError(
        `could not read the expression at character ${error.index + 1}: ${description}`,
      );
    }
    throw error;
  }
  if (tree.type === "Compound") {
    throw new TableError(
      "the expression has several parts side by side; join text with & or concat(...), and separate a function's arguments with commas inside its brackets",
    );
  }
  return tree;
}

function tooDeep(): TableError {
  return new TableError(
    `the expression is nested too deeply (more than ${MAX_DEPTH} levels); split it into several computed columns`,
  );
}

/** The deepest nesting of ( and [ outside quoted text. */
function bracketDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | null = null;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (quote) {
      if (char === "\\") index++;
      else if (char === quote) quote = null;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "(" || char === "[") deepest = Math.max(deepest, ++depth);
    else if (char === ")" || char === "]") depth--;
  }
  return deepest;
}

function compileNode(node: jsep.Expression, columns: readonly TColumn[], depth: number): TTyped {
  if (depth > MAX_DEPTH) throw tooDeep();
  const compile = (child: jsep.Expression) => compileNode(child, columns, depth + 1);
  switch (node.type) {
    case "Literal":
      return literal(node as jsep.Literal);
    case "Identifier":
      return columnReference((node as jsep.Identifier).name, columns);
    case "UnaryExpression":
      return unary(node as jsep.UnaryExpression, compile);
    case "BinaryExpression":
      return binary(node as jsep.BinaryExpression, compile);
    case "ConditionalExpression": {
      const conditional = node as jsep.ConditionalExpression;
      return choose(
        shorten(label(node)),
        compile(conditional.test),
        compile(conditional.consequent),
        compile(conditional.alternate),
      );
    }
    case "CallExpression":
      return call(node as jsep.CallExpression, columns, compile);
    case "MemberExpression": {
      const text = shorten(label(node));
      if ((node as jsep.MemberExpression).computed) {
        throw new TableError(`'[…]' is not supported (in ${text})`);
      }
      const hint = text.endsWith("…") ? "" : `, write col("${text}")`;
      throw new TableError(
        `'.' is not supported (in ${text}); for a column whose name has a dot${hint || ", use col(...)"}`,
      );
    }
    case "ArrayExpression":
      throw new TableError("lists in [ ] are not supported");
    case "ThisExpression":
      throw new TableError(
        `'this' is a reserved word; for a column called this, write col("this")`,
      );
    case "SequenceExpression":
      throw new TableError(
        "commas only separate a function's arguments, as in concat(a, b); a list in brackets (a, b) is not supported",
      );
    default:
      throw new TableError(`${label(node)} is not supported in an expression`);
  }
}

function literal(node: jsep.Literal): TTyped {
  const { value, raw } = node;
  if (value === null) return NULL;
  if (typeof value === "boolean") {
    return { sql: value ? "TRUE" : "FALSE", type: "boolean", label: raw };
  }
  if (typeof value === "string") {
    return { sql: quoteString(value), type: "text", label: shorten(raw), text: value };
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TableError(`the number ${shorten(raw)} is too large`);
    // typed casts, since DuckDB reads 5 as a 32-bit INTEGER (which overflows) and 1.5 as DECIMAL
    if (/^[0-9]+$/.test(raw) && Number.isSafeInteger(value)) {
      return { sql: `CAST(${value} AS BIGINT)`, type: "integer", label: raw, whole: value };
    }
    return { sql: `CAST(${value} AS DOUBLE)`, type: "number", label: raw };
  }
  throw new TableError(`${shorten(raw)} is not a value this language knows`);
}

/** Exact name first; otherwise a unique match ignoring capitals (DuckDB names ignore them too). */
function columnReference(name: string, columns: readonly TColumn[]): TTyped {
  const exact = columns.find((column) => column.name === name);
  const loose = columns.filter((column) => column.name.toLowerCase() === name.toLowerCase());
  const column = exact ?? (loose.length === 1 ? loose[0] : undefined);
  if (!column) throw columnNotFound(name, columns);
  return { sql: quoteIdent(column.name), type: column.type, label: shorten(name) };
}

type TCompile = (node: jsep.Expression) => TTyped;

function unary(node: jsep.UnaryExpression, compile: TCompile): TTyped {
  const operand = compile(node.argument);
  const text = shorten(label(node));
  switch (node.operator) {
    case "-":
    case "+":
      if (operand.type === "null") return NULL;
      if (!isNumeric(operand.type)) {
        throw new TableError(`'${node.operator}' works on numbers, but ${is(operand)}`);
      }
      return node.operator === "-"
        ? { sql: `(- ${operand.sql})`, type: operand.type, label: text }
        : { ...operand, label: text };
    case "!":
    case "not":
      if (operand.type !== "boolean" && operand.type !== "null") {
        throw new TableError(
          `'${node.operator}' works on true/false values, but ${is(operand)}; to negate a comparison, put it in brackets: not (a > b)`,
        );
      }
      return { sql: `(NOT ${cast(operand, "boolean")})`, type: "boolean", label: text };
    default:
      throw unknownOperator(node.operator);
  }
}

function unknownOperator(operator: string): TableError {
  const hint = OPERATOR_HINTS[operator];
  return new TableError(
    `'${operator}' is not an operator here${hint ? `; ${hint}` : ""}; the operators are + - * / % & == != < <= > >= and or not`,
  );
}

function binary(node: jsep.BinaryExpression, compile: TCompile): TTyped {
  const { operator } = node;
  const text = shorten(label(node));
  if (operator === "&") {
    const parts = concatOperands(node).map(compile);
    return {
      sql: `concat(${parts.map((_, index) => sqlOf(parts, index, "text")).join(", ")})`,
      type: "text",
      label: text,
    };
  }
  const left = compile(node.left);
  const right = compile(node.right);
  if (ARITHMETIC.has(operator)) return arithmetic(operator, left, right, text);
  const comparison = COMPARISONS[operator];
  if (comparison) return compare(operator, comparison, left, right, text);
  const logic = LOGIC[operator];
  if (logic) {
    for (const side of [left, right]) {
      if (side.type !== "boolean" && side.type !== "null") {
        throw new TableError(`'${operator}' combines true/false values, but ${is(side)}`);
      }
    }
    const sql = `(${cast(left, "boolean")} ${logic} ${cast(right, "boolean")})`;
    return { sql, type: "boolean", label: text };
  }
  throw unknownOperator(operator);
}

/** `a & b & c` as one concat(a, b, c) rather than nested calls, and not counted as nesting. */
function concatOperands(node: jsep.Expression): jsep.Expression[] {
  const operands: jsep.Expression[] = [];
  let current = node;
  while (
    current.type === "BinaryExpression" &&
    (current as jsep.BinaryExpression).operator === "&"
  ) {
    const join = current as jsep.BinaryExpression;
    operands.unshift(join.right);
    current = join.left;
  }
  operands.unshift(current);
  return operands;
}

function arithmetic(operator: string, left: TTyped, right: TTyped, text: string): TTyped {
  for (const side of [left, right]) {
    if (side.type === "text" && operator === "+") {
      throw new TableError(
        `'+' adds numbers, but ${is(side)}; to join text use & (as in first & " " & last) or concat(...)`,
      );
    }
    if (side.type !== "null" && !isNumeric(side.type)) {
      throw new TableError(`'${operator}' works on numbers, but ${is(side)}`);
    }
  }
  if (left.type === "null" && right.type === "null") return NULL;
  const bothIntegers = left.type !== "number" && right.type !== "number";
  const type: TColumnType = operator === "/" || !bothIntegers ? "number" : "integer";
  const operandType = bothIntegers ? "integer" : "number";
  const [a, b] = [cast(left, operandType), cast(right, operandType)];
  // DuckDB gives Infinity/NaN for x / 0 on floats; NULL is what an empty cell shows
  if (operator === "/" || operator === "%") {
    return { sql: `(${a} ${operator} NULLIF(${b}, 0))`, type, label: text };
  }
  // BIGINT overflow is an error in DuckDB; TRY turns it into an empty value mid-export
  if (type === "integer") return { sql: `TRY(${a} ${operator} ${b})`, type, label: text };
  return { sql: `(${a} ${operator} ${b})`, type, label: text };
}

function compare(
  operator: string,
  sqlOperator: string,
  left: TTyped,
  right: TTyped,
  text: string,
): TTyped {
  if (left.type === "null" || right.type === "null") {
    if (sqlOperator !== "=" && sqlOperator !== "<>") {
      throw new TableError(
        `'${operator}' with null is never true; to test for an empty value write x == null or x != null`,
      );
    }
    const other = left.type === "null" ? right : left;
    const test = sqlOperator === "=" ? "IS NULL" : "IS NOT NULL";
    return { sql: `(${other.sql} ${test})`, type: "boolean", label: text };
  }
  const [a, b] = unify([left, right], (x, y) => {
    const hint =
      (x.type === "text" && numeric(y.type)) || (numeric(x.type) && y.type === "text")
        ? "; convert one side with number(...) or text(...)"
        : "";
    return new TableError(
      `cannot compare ${x.label} (${TYPE_WORDS[x.type]}) with ${y.label} (${TYPE_WORDS[y.type]})${hint}`,
    );
  }).sqls as [string, string];
  return { sql: `(${a} ${sqlOperator} ${b})`, type: "boolean", label: text };
}

function choose(text: string, condition: TTyped, whenTrue: TTyped, whenFalse: TTyped): TTyped {
  if (condition.type !== "boolean" && condition.type !== "null") {
    throw new TableError(
      `the condition of if must be true or false, like price > 100, but ${is(condition)}`,
    );
  }
  const { type, sqls } = unify([whenTrue, whenFalse], (x, y) => mixedTypes("if", x, y));
  const sql = `(CASE WHEN ${cast(condition, "boolean")} THEN ${sqls[0]} ELSE ${sqls[1]} END)`;
  return { sql, type, label: text };
}

function mixedTypes(what: string, x: TTyped, y: TTyped): TableError {
  return new TableError(`the values of ${what} must be of one type, but ${is(x)} and ${is(y)}`);
}

/**
 * The type several values share (integer with number is number, date with timestamp is timestamp,
 * null fits anything, text like '2024-01-31' next to a date is that date) and each value's SQL in
 * it; `mismatch` words the refusal for the first pair that share none.
 */
function unify(
  parts: TTyped[],
  mismatch: (x: TTyped, y: TTyped) => TableError,
): { type: TValueType; sqls: string[] } {
  const resolved = parts.some((part) => temporal(part.type))
    ? parts.map((part) => (part.text === undefined ? part : temporalLiteral(part)))
    : parts;
  const [head, ...rest] = resolved.filter((part) => part.type !== "null");
  if (!head) return { type: "null", sqls: parts.map((part) => part.sql) };
  let type = head.type as TColumnType;
  for (const part of rest) {
    const next = part.type as TColumnType;
    if (isNumeric(type) && isNumeric(next)) type = type === "number" ? type : next;
    else if (isTemporal(type) && isTemporal(next)) type = type === "timestamp" ? type : next;
    else if (next !== type) throw mismatch(head, part);
  }
  return { type, sqls: resolved.map((part) => cast(part, type)) };
}

const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ISO_TIMESTAMP =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,6})?)?$/;

/** A quoted '2024-01-31' (or '2024-01-31 18:30') as the DATE (or TIMESTAMP) it spells. */
function temporalLiteral(part: TTyped): TTyped {
  const value = (part.text ?? "").trim();
  const date = ISO_DATE.exec(value);
  const time = ISO_TIMESTAMP.exec(value);
  const [, year, month, day, hour = "0", minute = "0", second = "0"] = time ?? date ?? [];
  if (year && month && day && isCalendarDay(+year, +month, +day)) {
    if (date) return { ...part, sql: `DATE ${quoteString(value)}`, type: "date" };
    if (+hour < 24 && +minute < 60 && +second < 60) {
      return {
        ...part,
        sql: `TIMESTAMP ${quoteString(value.replace("T", " "))}`,
        type: "timestamp",
      };
    }
  }
  throw new TableError(
    `${part.label} is not a date; write dates as 'YYYY-MM-DD' (like '2024-01-31'), or with a time as '2024-01-31 18:30'`,
  );
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/** The part's SQL as `type`: a typed NULL (DuckDB cannot pick year(NULL)'s overload) or a widening. */
function cast(part: TTyped, type: TColumnType): string {
  if (part.type === "null") return `CAST(NULL AS ${SQL_TYPE[type]})`;
  if (part.type === type) return part.sql;
  return `CAST(${part.whole ?? part.sql} AS ${SQL_TYPE[type]})`;
}

type TArgument = { what: string; accepts: readonly TColumnType[]; optional?: boolean };
type TFunction = {
  /** how the function is written, for messages: "left(text, count)" */
  usage: string;
  args: readonly TArgument[];
  /** takes any number of further arguments like its last one */
  repeats?: boolean;
  compile: (args: readonly TTyped[]) => { sql: string; type: TColumnType };
};

const ANY: TArgument = {
  what: "a value",
  accepts: ["text", "integer", "number", "boolean", "date", "timestamp"],
};
const TEXT: TArgument = { what: "text", accepts: ["text"] };
const COUNT: TArgument = { what: "a whole number", accepts: ["integer"] };
const NUMBER: TArgument = { what: "a number", accepts: ["integer", "number"] };
const TEMPORAL: TArgument = { what: "a date or timestamp", accepts: ["date", "timestamp"] };
const TIMESTAMP: TArgument = {
  what: "a timestamp (a date has no time of day)",
  accepts: ["timestamp"],
};
const CONVERTIBLE: TArgument = {
  what: "text, a number or true/false",
  accepts: ["text", "integer", "number", "boolean"],
};

/** An argument's SQL, a null typed as `nullAs` so DuckDB can pick the function's overload. */
function sqlOf(args: readonly TTyped[], index: number, nullAs: TColumnType): string {
  const arg = args[index];
  return arg ? cast(arg, arg.type === "null" ? nullAs : arg.type) : "NULL";
}

const datePart = (name: string, sqlFunction: string, arg = TEMPORAL): TFunction => ({
  usage: `${name}(${arg === TIMESTAMP ? "timestamp" : "date"})`,
  args: [arg],
  compile: (args) => ({ sql: `${sqlFunction}(${sqlOf(args, 0, "timestamp")})`, type: "integer" }),
});

const textFunction = (name: string, type: TColumnType = "text"): TFunction => ({
  usage: `${name}(text)`,
  args: [TEXT],
  compile: (args) => ({ sql: `${name}(${sqlOf(args, 0, "text")})`, type }),
});

const textTest = (name: string, second: string): TFunction => ({
  usage: `${name}(text, ${second})`,
  args: [TEXT, TEXT],
  compile: (args) => ({
    sql: `${name}(${sqlOf(args, 0, "text")}, ${sqlOf(args, 1, "text")})`,
    type: "boolean",
  }),
});

const substring = (name: string): TFunction => ({
  usage: `${name}(text, count)`,
  args: [TEXT, COUNT],
  // TRY: DuckDB stops the query on a count past 2^32 instead of returning the whole text
  compile: (args) => ({
    sql: `TRY(${name}(${sqlOf(args, 0, "text")}, ${sqlOf(args, 1, "integer")}))`,
    type: "text",
  }),
});

/** round(x), floor(x) and ceil(x) give whole numbers; a float too large for one becomes empty. */
function toWhole(name: string, args: readonly TTyped[]): string {
  const value = sqlOf(args, 0, "number");
  return args[0]?.type === "integer" ? value : `TRY_CAST(${name}(${value}) AS BIGINT)`;
}

const wholeNumber = (name: string): TFunction => ({
  usage: `${name}(number)`,
  args: [NUMBER],
  compile: (args) => ({ sql: toWhole(name, args), type: "integer" }),
});

const conversion = (name: string, type: TColumnType, arg: TArgument): TFunction => ({
  usage: `${name}(value)`,
  args: [arg],
  compile: (args) => ({
    sql:
      args[0]?.type === type
        ? sqlOf(args, 0, type)
        : `TRY_CAST(${sqlOf(args, 0, type)} AS ${SQL_TYPE[type]})`,
    type,
  }),
});

/** `if` and `col` are handled before these: one needs its branches unified, the other a name. */
const FUNCTIONS: Record<string, TFunction> = {
  year: datePart("year", "year"),
  quarter: datePart("quarter", "quarter"),
  month: datePart("month", "month"),
  day: datePart("day", "day"),
  weekday: datePart("weekday", "isodow"),
  hour: datePart("hour", "hour", TIMESTAMP),
  minute: datePart("minute", "minute", TIMESTAMP),
  date: {
    usage: "date(value)",
    args: [{ what: "a date, a timestamp or text", accepts: ["date", "timestamp", "text"] }],
    compile: (args) => {
      const value = sqlOf(args, 0, "date");
      const from = args[0]?.type;
      if (from === "date" || from === "null") return { sql: value, type: "date" };
      // a timestamp always has a date; text may not spell one
      const sql = `${from === "timestamp" ? "CAST" : "TRY_CAST"}(${value} AS DATE)`;
      return { sql, type: "date" };
    },
  },
  upper: textFunction("upper"),
  lower: textFunction("lower"),
  trim: textFunction("trim"),
  length: textFunction("length", "integer"),
  left: substring("left"),
  right: substring("right"),
  replace: {
    usage: "replace(text, from, to)",
    args: [TEXT, TEXT, TEXT],
    compile: (args) => {
      const [text, from, to] = [0, 1, 2].map((index) => sqlOf(args, index, "text"));
      return { sql: `replace(${text}, ${from}, ${to})`, type: "text" };
    },
  },
  contains: textTest("contains", "part"),
  starts_with: textTest("starts_with", "start"),
  ends_with: textTest("ends_with", "end"),
  concat: {
    usage: "concat(value, …)",
    args: [ANY],
    repeats: true,
    compile: (args) => ({
      sql: `concat(${args.map((_, index) => sqlOf(args, index, "text")).join(", ")})`,
      type: "text",
    }),
  },
  round: {
    usage: "round(number) or round(number, digits)",
    args: [NUMBER, { ...COUNT, optional: true }],
    compile: (args) => {
      if (args.length === 1) return { sql: toWhole("round", args), type: "integer" };
      // DuckDB's round() takes its digits as a 32-bit INTEGER
      const digits = `TRY_CAST(${sqlOf(args, 1, "integer")} AS INTEGER)`;
      const type = args[0]?.type === "integer" ? "integer" : "number";
      return { sql: `round(${sqlOf(args, 0, "number")}, ${digits})`, type };
    },
  },
  abs: {
    usage: "abs(number)",
    args: [NUMBER],
    compile: (args) => ({
      sql: `abs(${sqlOf(args, 0, "number")})`,
      type: args[0]?.type === "integer" ? "integer" : "number",
    }),
  },
  floor: wholeNumber("floor"),
  ceil: wholeNumber("ceil"),
  coalesce: {
    usage: "coalesce(value, value, …)",
    args: [ANY, ANY],
    repeats: true,
    compile: (args) => {
      const { type, sqls } = unify([...args], (x, y) => mixedTypes("coalesce", x, y));
      if (type === "null") return { sql: "CAST(NULL AS VARCHAR)", type: "text" };
      return { sql: `coalesce(${sqls.join(", ")})`, type };
    },
  },
  number: conversion("number", "number", CONVERTIBLE),
  integer: {
    usage: "integer(value)",
    args: [CONVERTIBLE],
    compile: (args) => ({
      // DuckDB's own DOUBLE to BIGINT cast rounds halves to even (10.5 to 10); round() does not
      sql: ["text", "boolean"].includes(args[0]?.type ?? "")
        ? `TRY_CAST(${sqlOf(args, 0, "integer")} AS BIGINT)`
        : toWhole("round", args),
      type: "integer",
    }),
  },
  text: conversion("text", "text", ANY),
};

const FUNCTION_NAMES = ["if", "col", ...Object.keys(FUNCTIONS)].sort();
const ORDINALS = ["first", "second", "third"];

function call(node: jsep.CallExpression, columns: readonly TColumn[], compile: TCompile): TTyped {
  const text = shorten(label(node));
  if (node.callee.type !== "Identifier") {
    throw new TableError(
      `only functions called by name can be used, like upper(name); ${text} is not one`,
    );
  }
  const name = (node.callee as jsep.Identifier).name.toLowerCase();
  const argNodes = node.arguments;

  if (name === "col") {
    const [only] = argNodes;
    if (argNodes.length !== 1 || only?.type !== "Literal" || typeof only.value !== "string") {
      throw new TableError(`col takes a column name in quotes, like col("Unit price")`);
    }
    return { ...columnReference(only.value, columns), label: text };
  }

  if (name === "if") {
    if (argNodes.length !== 3) {
      throw new TableError(
        `if takes 3 arguments, if(condition, then, else), but got ${argNodes.length}`,
      );
    }
    const [condition, whenTrue, whenFalse] = argNodes.map(compile) as [TTyped, TTyped, TTyped];
    return choose(text, condition, whenTrue, whenFalse);
  }

  const fn = FUNCTIONS[name];
  if (!fn) {
    throw new TableError(`unknown function '${name}'; functions are: ${FUNCTION_NAMES.join(", ")}`);
  }
  checkArgumentCount(name, fn, argNodes.length);
  const args = argNodes.map((argNode, index) => {
    const arg = compile(argNode);
    const spec = fn.args[Math.min(index, fn.args.length - 1)];
    if (spec && arg.type !== "null" && !spec.accepts.includes(arg.type)) {
      const which =
        argNodes.length === 1
          ? "its argument"
          : `its ${ORDINALS[index] ?? `number ${index + 1}`} argument`;
      throw new TableError(`${name} needs ${spec.what} as ${which}, ${fn.usage}, but ${is(arg)}`);
    }
    return arg;
  });
  return { ...fn.compile(args), label: text };
}

function checkArgumentCount(name: string, fn: TFunction, count: number) {
  const least = fn.args.filter((arg) => !arg.optional).length;
  const most = fn.repeats ? Infinity : fn.args.length;
  if (count >= least && count <= most) return;
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  const takes =
    most === Infinity
      ? `at least ${plural(least)}`
      : least === most
        ? plural(least)
        : `${least} or ${plural(most)}`;
  throw new TableError(`${name} takes ${takes}, ${fn.usage}, but got ${count}`);
}

/** The source of a node as a person would write it, to name it in messages. */
function label(node: jsep.Expression): string {
  switch (node.type) {
    case "Literal":
      return String((node as jsep.Literal).raw);
    case "Identifier":
      return (node as jsep.Identifier).name;
    case "ThisExpression":
      return "this";
    case "UnaryExpression": {
      const { operator, argument } = node as jsep.UnaryExpression;
      return `${operator}${/[a-z]/.test(operator) ? " " : ""}${nested(argument)}`;
    }
    case "BinaryExpression": {
      const { operator, left, right } = node as jsep.BinaryExpression;
      return `${nested(left)} ${operator} ${nested(right)}`;
    }
    case "ConditionalExpression": {
      const { test, consequent, alternate } = node as jsep.ConditionalExpression;
      return `${nested(test)} ? ${nested(consequent)} : ${nested(alternate)}`;
    }
    case "CallExpression": {
      const { callee, arguments: args } = node as jsep.CallExpression;
      return `${label(callee)}(${args.map(label).join(", ")})`;
    }
    case "MemberExpression": {
      const { object, property, computed } = node as jsep.MemberExpression;
      return computed
        ? `${label(object)}[${label(property)}]`
        : `${label(object)}.${label(property)}`;
    }
    case "ArrayExpression":
      return `[${(node as jsep.ArrayExpression).elements.map((e) => (e ? label(e) : "")).join(", ")}]`;
    case "SequenceExpression":
      return `(${(node as jsep.SequenceExpression).expressions.map(label).join(", ")})`;
    default:
      return node.type;
  }
}

function nested(node: jsep.Expression): string {
  const text = label(node);
  return node.type === "BinaryExpression" || node.type === "ConditionalExpression"
    ? `(${text})`
    : text;
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
