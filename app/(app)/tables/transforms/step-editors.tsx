"use client";

import { EXPRESSION_HELP } from "@/server/tables/expression";
import {
  AGGREGATES,
  FILTER_OPERATORS,
  type TCondition,
  type TStep,
  type TStepKind,
} from "@/server/tables/steps";
import { COLUMN_TYPES, type TColumn } from "@/server/tables/table-types";
import { Button } from "../../../_components/ui";

const INPUT = "rounded-md border border-slate-300 px-2 py-1 text-sm";

/** The list without its entry at `index`. */
function without<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** The list with its entry at `index` changed by `patch`. */
function patched<T extends object>(list: readonly T[], index: number, patch: Partial<T>): T[] {
  return list.map((entry, i) => (i === index ? { ...entry, ...patch } : entry));
}

const OPERATOR_LABELS: Record<(typeof FILTER_OPERATORS)[number], string> = {
  equals: "equals",
  not_equals: "does not equal",
  in: "is one of",
  not_in: "is none of",
  contains: "contains",
  starts_with: "starts with",
  ends_with: "ends with",
  regex: "matches the pattern",
  greater_than: "is more than",
  at_least: "is at least",
  less_than: "is less than",
  at_most: "is at most",
  between: "is between",
  empty: "is empty",
  not_empty: "is not empty",
};

const AGGREGATE_LABELS: Record<(typeof AGGREGATES)[number], string> = {
  count: "count",
  count_distinct: "count distinct",
  sum: "sum",
  mean: "mean",
  min: "min",
  max: "max",
  first: "first",
  last: "last",
};

/** A new step of a kind, filled in from the columns it receives. */
export function newStep(kind: TStepKind, columns: TColumn[], tables: { id: string }[]): TStep {
  const first = columns[0]?.name ?? "";
  switch (kind) {
    case "select":
      return { kind, columns: columns.map((c) => ({ column: c.name })) };
    case "rename":
      return { kind, columns: [{ column: first, name: first }] };
    case "cast":
      return { kind, columns: [{ column: first, type: "text" }] };
    case "filter":
      return { kind, match: "all", conditions: [{ column: first, operator: "equals", value: "" }] };
    case "dedupe":
      return { kind, columns: [], keep: "first" };
    case "sort":
      return { kind, keys: [{ column: first, descending: false }] };
    case "limit":
      return { kind, rows: 100, offset: 0 };
    case "compute":
      return { kind, name: "new_column", expression: first ? columnReference(first) : "1" };
    case "group":
      return { kind, by: first ? [first] : [], aggregates: [{ function: "count" }] };
    case "join":
      return {
        kind,
        tableId: tables[0]?.id ?? "",
        type: "left",
        on: [{ left: first, right: first }],
        columns: [],
      };
  }
}

function columnReference(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `col(${JSON.stringify(name)})`;
}

function nameOf(ref: string | number, columns: TColumn[]): string {
  return typeof ref === "number" ? (columns[ref - 1]?.name ?? String(ref)) : ref;
}

function ColumnSelect({
  value,
  columns,
  onChange,
  label,
}: {
  value: string | number | undefined;
  columns: TColumn[];
  onChange: (name: string) => void;
  label: string;
}) {
  const current = value === undefined ? "" : nameOf(value, columns);
  const known = columns.some((c) => c.name === current);
  return (
    <select
      aria-label={label}
      className={INPUT}
      value={current}
      onChange={(e) => onChange(e.target.value)}
    >
      {!known && <option value={current}>{current ? `${current} (not found)` : "Choose…"}</option>}
      {columns.map((column) => (
        <option key={column.name} value={column.name}>
          {column.name}
        </option>
      ))}
    </select>
  );
}

type TEditorProps<K extends TStepKind> = {
  step: Extract<TStep, { kind: K }>;
  columns: TColumn[];
  onChange: (step: TStep) => void;
};

/** The form of one step; `columns` are those the step receives. */
export function StepEditor(props: {
  step: TStep;
  columns: TColumn[];
  tables: { id: string; name: string; columns: TColumn[] }[];
  onChange: (step: TStep) => void;
}) {
  const { step, columns, onChange } = props;
  switch (step.kind) {
    case "select":
      return <SelectEditor step={step} columns={columns} onChange={onChange} />;
    case "rename":
      return (
        <PairsEditor
          rows={step.columns.map((c) => ({ column: c.column, text: c.name }))}
          columns={columns}
          textLabel="New name"
          onChange={(rows) =>
            onChange({ ...step, columns: rows.map((r) => ({ column: r.column, name: r.text })) })
          }
        />
      );
    case "cast":
      return <CastEditor step={step} columns={columns} onChange={onChange} />;
    case "filter":
      return <FilterEditor step={step} columns={columns} onChange={onChange} />;
    case "dedupe":
      return (
        <div className="space-y-2">
          <ColumnChecklist
            legend="Rows are duplicates when these match (none checked: every column)"
            columns={columns}
            checked={step.columns.map((c) => nameOf(c, columns))}
            onChange={(names) => onChange({ ...step, columns: names })}
          />
          <label className="block text-sm">
            Keep{" "}
            <select
              className={INPUT}
              value={step.keep}
              onChange={(e) => onChange({ ...step, keep: e.target.value as "first" | "last" })}
            >
              <option value="first">the first of each</option>
              <option value="last">the last of each</option>
            </select>
          </label>
        </div>
      );
    case "sort":
      return (
        <div className="space-y-2">
          {step.keys.map((key, index) => (
            <div key={index} className="flex flex-wrap items-center gap-2">
              <span className="text-sm text-slate-500">{index === 0 ? "by" : "then by"}</span>
              <ColumnSelect
                label={`Sort column ${index + 1}`}
                value={key.column}
                columns={columns}
                onChange={(column) =>
                  onChange({
                    ...step,
                    keys: patched(step.keys, index, { column }),
                  })
                }
              />
              <select
                aria-label={`Order ${index + 1}`}
                className={INPUT}
                value={key.descending ? "desc" : "asc"}
                onChange={(e) =>
                  onChange({
                    ...step,
                    keys: patched(step.keys, index, { descending: e.target.value === "desc" }),
                  })
                }
              >
                <option value="asc">ascending</option>
                <option value="desc">descending</option>
              </select>
              {step.keys.length > 1 && (
                <Button onClick={() => onChange({ ...step, keys: without(step.keys, index) })}>
                  Remove
                </Button>
              )}
            </div>
          ))}
          <Button
            onClick={() =>
              onChange({
                ...step,
                keys: [...step.keys, { column: columns[0]?.name ?? "", descending: false }],
              })
            }
          >
            Add a sort column
          </Button>
        </div>
      );
    case "limit":
      return (
        <div className="flex flex-wrap gap-3 text-sm">
          <label>
            Keep{" "}
            <input
              type="number"
              min={0}
              className={`${INPUT} w-28`}
              value={step.rows}
              onChange={(e) =>
                onChange({ ...step, rows: Math.max(0, Number(e.target.value) || 0) })
              }
            />{" "}
            rows
          </label>
          <label>
            after skipping{" "}
            <input
              type="number"
              min={0}
              className={`${INPUT} w-28`}
              value={step.offset}
              onChange={(e) =>
                onChange({ ...step, offset: Math.max(0, Number(e.target.value) || 0) })
              }
            />
          </label>
        </div>
      );
    case "compute":
      return (
        <div className="space-y-2 text-sm">
          <label className="block">
            Column name{" "}
            <input
              className={INPUT}
              value={step.name}
              onChange={(e) => onChange({ ...step, name: e.target.value })}
            />
          </label>
          <label className="block">
            Expression
            <input
              className={`${INPUT} mt-1 block w-full font-mono`}
              value={step.expression}
              onChange={(e) => onChange({ ...step, expression: e.target.value })}
            />
          </label>
          <details className="text-xs text-slate-600">
            <summary className="cursor-pointer">What an expression can use</summary>
            <pre className="mt-1 whitespace-pre-wrap">{EXPRESSION_HELP}</pre>
          </details>
        </div>
      );
    case "group":
      return <GroupEditor step={step} columns={columns} onChange={onChange} />;
    case "join":
      return <JoinEditor step={step} columns={columns} tables={props.tables} onChange={onChange} />;
  }
}

function SelectEditor({ step, columns, onChange }: TEditorProps<"select">) {
  const picked = step.columns;
  const move = (index: number, by: number) => {
    const next = [...picked];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    onChange({ ...step, columns: next });
  };
  const missing = columns.filter((c) => !picked.some((p) => nameOf(p.column, columns) === c.name));
  return (
    <div className="space-y-1.5">
      {picked.map((entry, index) => (
        <div key={`${String(entry.column)}-${index}`} className="flex flex-wrap items-center gap-2">
          <span className="w-6 text-right text-xs text-slate-500">{index + 1}</span>
          <ColumnSelect
            label={`Column ${index + 1}`}
            value={entry.column}
            columns={columns}
            onChange={(column) =>
              onChange({
                ...step,
                columns: patched(picked, index, { column }),
              })
            }
          />
          <input
            aria-label={`New name for column ${index + 1}`}
            placeholder="same name"
            className={`${INPUT} w-40`}
            value={entry.name ?? ""}
            onChange={(e) =>
              onChange({
                ...step,
                columns: picked.map((p, i) =>
                  i === index
                    ? { column: p.column, ...(e.target.value ? { name: e.target.value } : {}) }
                    : p,
                ),
              })
            }
          />
          <Button
            aria-label={`Move column ${index + 1} up`}
            disabled={index === 0}
            onClick={() => move(index, -1)}
          >
            ↑
          </Button>
          <Button
            aria-label={`Move column ${index + 1} down`}
            disabled={index === picked.length - 1}
            onClick={() => move(index, 1)}
          >
            ↓
          </Button>
          <Button
            aria-label={`Drop column ${index + 1}`}
            disabled={picked.length === 1}
            onClick={() => onChange({ ...step, columns: without(picked, index) })}
          >
            Drop
          </Button>
        </div>
      ))}
      {missing.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 pt-1 text-sm">
          <span className="text-slate-500">Dropped:</span>
          {missing.map((c) => (
            <Button
              key={c.name}
              onClick={() => onChange({ ...step, columns: [...picked, { column: c.name }] })}
            >
              + {c.name}
            </Button>
          ))}
        </div>
      )}
    </div>
  );
}

function PairsEditor({
  rows,
  columns,
  textLabel,
  onChange,
}: {
  rows: { column: string | number; text: string }[];
  columns: TColumn[];
  textLabel: string;
  onChange: (rows: { column: string; text: string }[]) => void;
}) {
  const named = rows.map((r) => ({ column: nameOf(r.column, columns), text: r.text }));
  return (
    <div className="space-y-1.5">
      {named.map((row, index) => (
        <div key={index} className="flex flex-wrap items-center gap-2">
          <ColumnSelect
            label={`Column ${index + 1}`}
            value={row.column}
            columns={columns}
            onChange={(column) => onChange(patched(named, index, { column }))}
          />
          <span className="text-sm text-slate-500">→</span>
          <input
            aria-label={`${textLabel} ${index + 1}`}
            className={INPUT}
            value={row.text}
            onChange={(e) => onChange(patched(named, index, { text: e.target.value }))}
          />
          {named.length > 1 && (
            <Button onClick={() => onChange(without(named, index))}>Remove</Button>
          )}
        </div>
      ))}
      <Button
        onClick={() =>
          onChange([...named, { column: columns[0]?.name ?? "", text: columns[0]?.name ?? "" }])
        }
      >
        Add a column
      </Button>
    </div>
  );
}

function CastEditor({ step, columns, onChange }: TEditorProps<"cast">) {
  const update = (index: number, patch: Partial<(typeof step.columns)[number]>) =>
    onChange({
      ...step,
      columns: patched(step.columns, index, patch),
    });
  return (
    <div className="space-y-1.5">
      {step.columns.map((entry, index) => (
        <div key={index} className="flex flex-wrap items-center gap-2">
          <ColumnSelect
            label={`Column ${index + 1}`}
            value={entry.column}
            columns={columns}
            onChange={(column) => update(index, { column })}
          />
          <span className="text-sm text-slate-500">as</span>
          <select
            aria-label={`Type ${index + 1}`}
            className={INPUT}
            value={entry.type}
            onChange={(e) =>
              update(index, { type: e.target.value as (typeof COLUMN_TYPES)[number] })
            }
          >
            {COLUMN_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
          {(entry.type === "date" || entry.type === "timestamp") && (
            <select
              aria-label={`Date order ${index + 1}`}
              className={INPUT}
              value={entry.dateOrder ?? "iso"}
              onChange={(e) =>
                update(index, { dateOrder: e.target.value as "iso" | "day-first" | "month-first" })
              }
            >
              <option value="iso">2024-03-31</option>
              <option value="day-first">31/03/2024 (day first)</option>
              <option value="month-first">03/31/2024 (month first)</option>
            </select>
          )}
          {step.columns.length > 1 && (
            <Button onClick={() => onChange({ ...step, columns: without(step.columns, index) })}>
              Remove
            </Button>
          )}
        </div>
      ))}
      <Button
        onClick={() =>
          onChange({
            ...step,
            columns: [...step.columns, { column: columns[0]?.name ?? "", type: "text" }],
          })
        }
      >
        Add a column
      </Button>
    </div>
  );
}

function FilterEditor({ step, columns, onChange }: TEditorProps<"filter">) {
  const update = (index: number, patch: Partial<TCondition>) =>
    onChange({
      ...step,
      conditions: patched(step.conditions, index, patch),
    });
  return (
    <div className="space-y-2 text-sm">
      <label className="block">
        Keep rows where{" "}
        <select
          className={INPUT}
          value={step.match}
          onChange={(e) => onChange({ ...step, match: e.target.value as "all" | "any" })}
        >
          <option value="all">all of these hold</option>
          <option value="any">any of these holds</option>
        </select>
      </label>
      {step.conditions.map((condition, index) => (
        <div
          key={index}
          className="flex flex-wrap items-center gap-2"
          data-testid="filter-condition"
        >
          <ColumnSelect
            label={`Condition ${index + 1} column`}
            value={condition.column}
            columns={columns}
            onChange={(column) => update(index, { column })}
          />
          <select
            aria-label={`Condition ${index + 1} test`}
            className={INPUT}
            value={condition.operator}
            onChange={(e) => update(index, { operator: e.target.value as TCondition["operator"] })}
          >
            {FILTER_OPERATORS.map((operator) => (
              <option key={operator} value={operator}>
                {OPERATOR_LABELS[operator]}
              </option>
            ))}
          </select>
          {condition.operator === "between" ? (
            <>
              <input
                aria-label={`Condition ${index + 1} from`}
                className={`${INPUT} w-28`}
                value={String(condition.min ?? "")}
                onChange={(e) => update(index, { min: e.target.value })}
              />
              <span>and</span>
              <input
                aria-label={`Condition ${index + 1} to`}
                className={`${INPUT} w-28`}
                value={String(condition.max ?? "")}
                onChange={(e) => update(index, { max: e.target.value })}
              />
            </>
          ) : condition.operator === "in" || condition.operator === "not_in" ? (
            <input
              aria-label={`Condition ${index + 1} values`}
              placeholder="a, b, c"
              className={`${INPUT} w-48`}
              value={(condition.values ?? []).join(", ")}
              onChange={(e) =>
                update(index, {
                  values: e.target.value
                    .split(",")
                    .map((v) => v.trim())
                    .filter(Boolean),
                })
              }
            />
          ) : condition.operator === "empty" || condition.operator === "not_empty" ? null : (
            <input
              aria-label={`Condition ${index + 1} value`}
              className={`${INPUT} w-40`}
              value={String(condition.value ?? "")}
              onChange={(e) => update(index, { value: e.target.value })}
            />
          )}
          <label className="flex items-center gap-1 text-xs text-slate-600">
            <input
              type="checkbox"
              checked={condition.caseSensitive ?? false}
              onChange={(e) => update(index, { caseSensitive: e.target.checked })}
            />
            match case
          </label>
          <Button
            onClick={() => onChange({ ...step, conditions: without(step.conditions, index) })}
          >
            Remove
          </Button>
        </div>
      ))}
      <Button
        onClick={() =>
          onChange({
            ...step,
            conditions: [
              ...step.conditions,
              { column: columns[0]?.name ?? "", operator: "equals", value: "" },
            ],
          })
        }
      >
        Add a condition
      </Button>
      <label className="block">
        and an expression{" "}
        <span className="text-slate-500">(optional, for example: units * price &gt; 100)</span>
        <input
          className={`${INPUT} mt-1 block w-full font-mono`}
          value={step.expression ?? ""}
          onChange={(e) => onChange({ ...step, expression: e.target.value || undefined })}
        />
      </label>
    </div>
  );
}

function ColumnChecklist({
  legend,
  columns,
  checked,
  onChange,
}: {
  legend: string;
  columns: TColumn[];
  checked: string[];
  onChange: (names: string[]) => void;
}) {
  return (
    <fieldset>
      <legend className="text-sm text-slate-600">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {columns.map((column) => (
          <label key={column.name} className="flex items-center gap-1 text-sm">
            <input
              type="checkbox"
              checked={checked.includes(column.name)}
              onChange={(e) =>
                onChange(
                  e.target.checked
                    ? [...checked, column.name]
                    : checked.filter((n) => n !== column.name),
                )
              }
            />
            {column.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function GroupEditor({ step, columns, onChange }: TEditorProps<"group">) {
  const update = (index: number, patch: Partial<(typeof step.aggregates)[number]>) =>
    onChange({
      ...step,
      aggregates: patched(step.aggregates, index, patch),
    });
  return (
    <div className="space-y-2 text-sm">
      <ColumnChecklist
        legend="Group by"
        columns={columns}
        checked={step.by.map((c) => nameOf(c, columns))}
        onChange={(by) => onChange({ ...step, by })}
      />
      {step.aggregates.map((aggregate, index) => (
        <div key={index} className="flex flex-wrap items-center gap-2">
          <select
            aria-label={`Summary ${index + 1}`}
            className={INPUT}
            value={aggregate.function}
            onChange={(e) =>
              update(index, { function: e.target.value as (typeof AGGREGATES)[number] })
            }
          >
            {AGGREGATES.map((fn) => (
              <option key={fn} value={fn}>
                {AGGREGATE_LABELS[fn]}
              </option>
            ))}
          </select>
          <span className="text-slate-500">of</span>
          <select
            aria-label={`Summary ${index + 1} column`}
            className={INPUT}
            value={aggregate.column === undefined ? "" : nameOf(aggregate.column, columns)}
            onChange={(e) => update(index, { column: e.target.value || undefined })}
          >
            {aggregate.function === "count" && <option value="">rows</option>}
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
          <input
            aria-label={`Summary ${index + 1} name`}
            placeholder="name (optional)"
            className={`${INPUT} w-40`}
            value={aggregate.name ?? ""}
            onChange={(e) => update(index, { name: e.target.value || undefined })}
          />
          <Button
            onClick={() => onChange({ ...step, aggregates: without(step.aggregates, index) })}
          >
            Remove
          </Button>
        </div>
      ))}
      <Button
        onClick={() =>
          onChange({
            ...step,
            aggregates: [
              ...step.aggregates,
              {
                function: "sum",
                column:
                  columns.find((c) => c.type === "integer" || c.type === "number")?.name ??
                  columns[0]?.name,
              },
            ],
          })
        }
      >
        Add a summary
      </Button>
    </div>
  );
}

function JoinEditor({
  step,
  columns,
  tables,
  onChange,
}: TEditorProps<"join"> & { tables: { id: string; name: string; columns: TColumn[] }[] }) {
  const other = tables.find((t) => t.id === step.tableId);
  const otherColumns = other?.columns ?? [];
  return (
    <div className="space-y-2 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span>Look up in</span>
        <select
          aria-label="Table to look up"
          className={INPUT}
          value={step.tableId}
          onChange={(e) => onChange({ ...step, tableId: e.target.value })}
        >
          {!other && <option value={step.tableId}>Choose a table…</option>}
          {tables.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        <select
          aria-label="Rows without a match"
          className={INPUT}
          value={step.type}
          onChange={(e) => onChange({ ...step, type: e.target.value as "left" | "inner" })}
        >
          <option value="left">keep rows without a match</option>
          <option value="inner">drop rows without a match</option>
        </select>
      </div>
      {step.on.map((pair, index) => (
        <div key={index} className="flex flex-wrap items-center gap-2">
          <span className="text-slate-500">where</span>
          <ColumnSelect
            label={`Match ${index + 1} column here`}
            value={pair.left}
            columns={columns}
            onChange={(left) => onChange({ ...step, on: patched(step.on, index, { left }) })}
          />
          <span className="text-slate-500">equals</span>
          <ColumnSelect
            label={`Match ${index + 1} column there`}
            value={pair.right}
            columns={otherColumns}
            onChange={(right) => onChange({ ...step, on: patched(step.on, index, { right }) })}
          />
          {step.on.length > 1 && (
            <Button onClick={() => onChange({ ...step, on: without(step.on, index) })}>
              Remove
            </Button>
          )}
        </div>
      ))}
      <Button
        onClick={() =>
          onChange({
            ...step,
            on: [...step.on, { left: columns[0]?.name ?? "", right: otherColumns[0]?.name ?? "" }],
          })
        }
      >
        Match another column
      </Button>
      {otherColumns.length > 0 && (
        <ColumnChecklist
          legend="Columns to add (none checked: all but the matched ones)"
          columns={otherColumns}
          checked={step.columns}
          onChange={(names) => onChange({ ...step, columns: names })}
        />
      )}
      <p className="text-xs text-slate-500">
        A key found twice in the looked-up table gives its first row.
      </p>
    </div>
  );
}
