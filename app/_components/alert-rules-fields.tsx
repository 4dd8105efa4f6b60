"use client";

import type { TAlertRules } from "@/server/alerts/alert-rules";

const NUMBER = "mt-1 w-24 rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** Checkboxes over a list of things, with how many are chosen in the legend. */
export function CheckList({
  legend,
  items,
  chosen,
  onChange,
  empty,
  problem,
  isHidden = false,
}: {
  legend: string;
  items: { id: string; name: string; detail: string }[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
  /** said while the list is loaded and empty */
  empty: string | null;
  problem: React.ReactNode;
  isHidden?: boolean;
}) {
  return (
    <fieldset hidden={isHidden}>
      <legend className="text-sm font-medium text-slate-700">
        {legend} ({chosen.length} chosen)
      </legend>
      <div className="mt-1 max-h-40 overflow-y-auto rounded-md border border-slate-200 p-2">
        {items.length === 0 && empty && <p className="text-sm text-slate-500">{empty}</p>}
        {items.map((item) => (
          <label key={item.id} className="flex items-center gap-2 py-0.5 text-sm">
            <input
              type="checkbox"
              checked={chosen.includes(item.id)}
              onChange={(e) =>
                onChange(
                  e.target.checked ? [...chosen, item.id] : chosen.filter((id) => id !== item.id),
                )
              }
            />
            {item.name}
            <span className="text-xs text-slate-600">{item.detail}</span>
          </label>
        ))}
      </div>
      {problem}
    </fieldset>
  );
}

const ALERT_WHEN: {
  key: "onFailure" | "onPartial" | "onTruncated" | "onRecovery";
  label: string;
}[] = [
  { key: "onFailure", label: "a run fails" },
  { key: "onPartial", label: "some of its reports fail" },
  { key: "onTruncated", label: "a system sent only part of a report" },
  { key: "onRecovery", label: "it works again after an alert" },
];

/** Whom to tell, and when: one alert when a run goes wrong, none while it stays wrong. */
export function AlertRulesFields({
  channels,
  isLoaded,
  rules,
  onChange,
  problem,
  canCountRows = true,
}: {
  channels: { id: string; name: string; detail: string }[];
  isLoaded: boolean;
  rules: TAlertRules;
  onChange: (rules: TAlertRules) => void;
  problem: React.ReactNode;
  /** a pipeline's run counts no rows of its own: no row-drop rule for it */
  canCountRows?: boolean;
}) {
  const isDropOn = rules.rowDropPercent !== null;
  return (
    <div className="grid gap-2">
      <CheckList
        legend="Alert"
        items={channels}
        chosen={rules.channels}
        onChange={(chosen) => onChange({ ...rules, channels: chosen })}
        empty={
          isLoaded
            ? "No alert channels yet: add an e-mail, webhook, Slack or Teams destination on the Destinations page."
            : null
        }
        problem={problem}
      />
      <fieldset hidden={rules.channels.length === 0} className="grid gap-1 text-sm">
        <legend className="text-sm font-medium text-slate-700">Alert when</legend>
        {ALERT_WHEN.map(({ key, label }) => (
          <label key={key} className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={rules[key]}
              onChange={(e) => onChange({ ...rules, [key]: e.target.checked })}
            />
            {label}
          </label>
        ))}
        <label className="flex flex-wrap items-center gap-2" hidden={!canCountRows}>
          <input
            type="checkbox"
            checked={isDropOn}
            onChange={(e) => onChange({ ...rules, rowDropPercent: e.target.checked ? 50 : null })}
          />
          it brings
          <input
            type="number"
            min={1}
            max={99}
            disabled={!isDropOn}
            aria-label="Fewer rows than usual, in percent"
            value={rules.rowDropPercent ?? 50}
            onChange={(e) => onChange({ ...rules, rowDropPercent: Number(e.target.value) })}
            className={NUMBER}
          />
          % fewer rows than the median of its last good runs
        </label>
        <p className="text-xs text-slate-500">
          One alert when something goes wrong, none while it stays wrong, and one when it works
          again.
        </p>
      </fieldset>
    </div>
  );
}
