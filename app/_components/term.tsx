"use client";

import { useId, useState } from "react";
import { GLOSSARY, type TGlossaryTerm } from "./glossary";

/**
 * A word of the trade with a small "?" after it that shows its explanation in place. A real button
 * (keyboard, screen readers, aria-expanded) rather than a hover tooltip: a tooltip is out of reach
 * on a phone and for anyone without a mouse. The explanation opens inline, not floating, so it
 * never covers the field it explains.
 *
 * Inside a <label>, use it only where the control has its own aria-label: the button's name would
 * otherwise become part of the control's name.
 */
export function Term({ name, children }: { name: TGlossaryTerm; children?: React.ReactNode }) {
  const [isOpen, setOpen] = useState(false);
  const id = useId();
  const { title, text } = GLOSSARY[name];
  return (
    <>
      {children}
      <button
        type="button"
        aria-expanded={isOpen}
        aria-controls={id}
        aria-describedby={isOpen ? id : undefined}
        title={`What is ${title}?`}
        onClick={() => setOpen(!isOpen)}
        className="relative ml-1 inline-flex h-4 w-4 items-center justify-center rounded-full border border-slate-400 align-middle text-[10px] leading-none font-semibold text-slate-600 hover:border-brand-600 hover:text-brand-700 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-brand-600"
      >
        <span aria-hidden="true">?</span>
        {/* its name from its content, not aria-label: a label search for the field ("Connector")
            must find the field, not also this button */}
        <span className="sr-only">{`What is ${title}?`}</span>
      </button>
      <span
        id={id}
        hidden={!isOpen}
        className="mt-1 block max-w-prose rounded-md bg-slate-50 px-2 py-1 text-xs font-normal text-slate-700"
        data-testid={`term-${name}`}
      >
        {text}
      </span>
    </>
  );
}

/**
 * A term's explanation always shown, as the one-line hint under a field. Give the field
 * `aria-describedby` with the same `id`, so a screen reader reads it with the field.
 */
export function HelpText({
  id,
  term,
  className = "",
}: {
  id: string;
  term: TGlossaryTerm;
  className?: string;
}) {
  return (
    <span id={id} className={`mt-1 block text-xs font-normal text-slate-600 ${className}`}>
      {GLOSSARY[term].text}
    </span>
  );
}
