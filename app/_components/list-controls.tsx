"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "./ui";

/** A list's search, filters and sort, kept in the URL query so a filtered list can be linked. */
export function useListQuery<TKey extends string>(
  keys: readonly TKey[],
): [Record<TKey, string>, (changes: Partial<Record<TKey, string>>) => void] {
  const params = useSearchParams();
  const pathname = usePathname();
  const values = Object.fromEntries(keys.map((key) => [key, params.get(key) ?? ""])) as Record<
    TKey,
    string
  >;
  function update(changes: Partial<Record<TKey, string>>) {
    // from the address bar, not this render's params, and written to it at once (Next's router
    // writes it later): two changes in a row must both land
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes) as [TKey, string | undefined][]) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const query = next.toString();
    // Next follows the History API: useSearchParams sees this without a server round trip
    window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
  }
  return [values, update];
}

/** A search box that follows typing at once and tells the list after a short pause. */
export function SearchBox({
  label,
  value,
  onSearch,
  placeholder,
}: {
  label: string;
  value: string;
  onSearch: (value: string) => void;
  placeholder?: string;
}) {
  const [text, setText] = useState(value);
  const latest = useRef(onSearch);
  useEffect(() => {
    latest.current = onSearch;
  });
  // the URL changed from elsewhere (clear filters, back button): show what it says
  const [shown, setShown] = useState(value);
  if (value !== shown) {
    setShown(value);
    setText(value);
  }
  useEffect(() => {
    if (text.trim() === value.trim()) return;
    const timer = setTimeout(() => latest.current(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text, value]);
  const id = useId();
  return (
    <div className="flex min-w-0 flex-1 basis-56 flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      <input
        id={id}
        type="search"
        value={text}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900"
      />
    </div>
  );
}

export function SelectFilter({
  label,
  value,
  options,
  onChange,
  anyLabel,
}: {
  label: string;
  value: string;
  options: Record<string, string>;
  onChange: (value: string) => void;
  /** the "no filter" choice; without it the select always has a value (a sort) */
  anyLabel?: string;
}) {
  const id = useId();
  return (
    <div className="flex min-w-0 flex-1 basis-36 flex-col gap-1 sm:flex-none">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="w-full rounded-md border border-slate-300 bg-white px-2 py-2 text-sm text-slate-900"
      >
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {Object.entries(options).map(([key, text]) => (
          <option key={key} value={key}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function ListToolbar({ children }: { children: React.ReactNode }) {
  return (
    <div role="search" className="mb-3 flex flex-wrap items-end gap-3">
      {children}
    </div>
  );
}

/** "3 of 12 reports", and a way back to the whole list when something narrows it. */
export function ListCount({
  shown,
  total,
  noun,
  isFiltered,
  onClear,
}: {
  shown: number;
  total: number;
  noun: [string, string];
  isFiltered: boolean;
  onClear: () => void;
}) {
  return (
    <p
      className="mb-2 flex flex-wrap items-center gap-x-3 text-sm text-slate-600"
      aria-live="polite"
    >
      <span data-testid="list-count">
        {isFiltered
          ? `${shown.toLocaleString()} of ${total.toLocaleString()} ${total === 1 ? noun[0] : noun[1]}`
          : `${total.toLocaleString()} ${total === 1 ? noun[0] : noun[1]}`}
      </span>
      {isFiltered && (
        <button type="button" onClick={onClear} className="text-brand-600 hover:underline">
          Clear filters
        </button>
      )}
    </p>
  );
}

/** The sentence for a filter that matches nothing, with the way out. */
export function NoMatches({ nouns, onClear }: { nouns: string; onClear: () => void }) {
  return (
    <div className="flex flex-wrap items-center gap-3 p-6 text-sm text-slate-600">
      <p>No {nouns} match this search and these filters.</p>
      <Button onClick={onClear}>Clear filters</Button>
    </div>
  );
}

/** Case-insensitive "contains", for searching names in a loaded list. */
export function matchesSearch(text: string, search: string): boolean {
  return search === "" || text.toLocaleLowerCase().includes(search.toLocaleLowerCase());
}

/** Newest first, and rows without a time last. */
export function byNewest(a: Date | string | null | undefined, b: Date | string | null | undefined) {
  const time = (value: Date | string | null | undefined) =>
    value ? new Date(value).getTime() : -Infinity;
  return time(b) - time(a);
}

export const byName = (a: { name: string }, b: { name: string }) =>
  a.name.localeCompare(b.name, undefined, { sensitivity: "base", numeric: true });

/**
 * A list the page loaded whole, narrowed in the browser: its search (`q`), filters and sort in
 * the URL, whether anything narrows it, and the way back to all of it.
 */
export function useLoadedList<TFilter extends string>(filterKeys: readonly TFilter[]) {
  const narrowing: ("q" | TFilter)[] = ["q", ...filterKeys];
  const [query, setQuery] = useListQuery<"q" | "sort" | TFilter>([...narrowing, "sort"]);
  const isFiltered = narrowing.some((key) => query[key] !== "");
  const clearFilters = () =>
    setQuery(
      Object.fromEntries(narrowing.map((key) => [key, ""])) as Partial<
        Record<"q" | "sort" | TFilter, string>
      >,
    );
  return { query, setQuery, isFiltered, clearFilters };
}

export type TListFilter<TFilter extends string> = {
  key: TFilter;
  label: string;
  /** the "no filter" choice */
  anyLabel: string;
  options: Record<string, string>;
};

/**
 * The toolbar and count of a loaded list: a name search, its filters, and a sort whose first
 * choice is the default (kept out of the URL).
 */
export function LoadedListControls<TFilter extends string>({
  list,
  filters,
  sorts,
  shown,
  total,
  noun,
}: {
  list: ReturnType<typeof useLoadedList<TFilter>>;
  filters: TListFilter<TFilter>[];
  sorts: Record<string, string>;
  shown: number;
  total: number;
  noun: [string, string];
}) {
  const { query, setQuery, isFiltered, clearFilters } = list;
  const defaultSort = Object.keys(sorts)[0]!;
  const set = (key: "q" | "sort" | TFilter, value: string) =>
    setQuery({ [key]: value } as Partial<Record<"q" | "sort" | TFilter, string>>);
  return (
    <>
      <ListToolbar>
        <SearchBox label="Search names" value={query.q} onSearch={(q) => set("q", q)} />
        {filters.map((filter) => (
          <SelectFilter
            key={filter.key}
            label={filter.label}
            anyLabel={filter.anyLabel}
            value={query[filter.key]}
            options={filter.options}
            onChange={(value) => set(filter.key, value)}
          />
        ))}
        <SelectFilter
          label="Sort"
          value={query.sort || defaultSort}
          options={sorts}
          onChange={(sort) => set("sort", sort === defaultSort ? "" : sort)}
        />
      </ListToolbar>
      <ListCount
        shown={shown}
        total={total}
        noun={noun}
        isFiltered={isFiltered}
        onClear={clearFilters}
      />
    </>
  );
}
