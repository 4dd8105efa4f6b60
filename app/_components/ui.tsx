import Link from "next/link";

const CARD_PADDING = { normal: "p-4 sm:p-5", none: "" } as const;

/**
 * `padding="none"` for a card whose table or list runs to its edges. A prop, not `className="p-0"`:
 * Tailwind orders its CSS by utility, not by class order, so a `p-0` given here lost to the card's
 * own `p-4` and `sm:p-5`.
 */
export function Card({
  children,
  className = "",
  padding = "normal",
}: {
  children: React.ReactNode;
  className?: string;
  padding?: keyof typeof CARD_PADDING;
}) {
  return (
    <section
      className={`rounded-xl border border-slate-200 bg-white shadow-sm ${CARD_PADDING[padding]} ${className}`}
    >
      {children}
    </section>
  );
}

export function PageTitle({
  title,
  subtitle,
  actions,
}: {
  title: string;
  subtitle?: string;
  actions?: React.ReactNode;
}) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      {/* min-w-0 and anywhere-wrapping: a job name without spaces must not widen a phone's page */}
      <div className="min-w-0 max-w-full [overflow-wrap:anywhere]">
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {subtitle && <p className="mt-1 text-sm text-slate-500">{subtitle}</p>}
      </div>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

const BUTTON = {
  primary: "bg-brand-600 text-white hover:bg-brand-700 disabled:bg-slate-300",
  secondary:
    "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 disabled:text-slate-400",
  danger: "border border-red-200 bg-white text-red-700 hover:bg-red-50 disabled:text-slate-400",
};

export function Button({
  variant = "secondary",
  className = "",
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: keyof typeof BUTTON }) {
  return (
    <button
      {...props}
      className={`inline-flex items-center justify-center gap-2 rounded-md px-3.5 py-2 text-sm font-medium transition disabled:cursor-not-allowed ${BUTTON[variant]} ${className}`}
    />
  );
}

export function ButtonLink({
  href,
  variant = "secondary",
  children,
  download,
}: {
  href: string;
  variant?: keyof typeof BUTTON;
  children: React.ReactNode;
  download?: boolean;
}) {
  const className = `inline-flex items-center justify-center gap-2 rounded-md px-3.5 py-2 text-sm font-medium ${BUTTON[variant]}`;
  return download ? (
    <a href={href} className={className} download>
      {children}
    </a>
  ) : (
    <Link href={href} className={className}>
      {children}
    </Link>
  );
}

export function ProgressBar({
  value,
  total,
  tone = "brand",
  label,
}: {
  value: number;
  total: number;
  tone?: "brand" | "red";
  label: string;
}) {
  const percent = total === 0 ? 0 : Math.round((value / total) * 100);
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div
        className={`h-full rounded-full transition-[width] duration-300 ${tone === "red" ? "bg-red-500" : "bg-brand-500"}`}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}

const STATUS_STYLE: Record<string, string> = {
  queued: "bg-slate-100 text-slate-700",
  pending: "bg-slate-100 text-slate-700",
  waiting_retry: "bg-amber-100 text-amber-800",
  succeeded: "bg-emerald-100 text-emerald-800",
  running: "bg-blue-100 text-blue-800",
  paused: "bg-orange-100 text-orange-800",
  completed: "bg-emerald-100 text-emerald-800",
  completed_with_errors: "bg-amber-100 text-amber-800",
  failed: "bg-red-100 text-red-800",
  cancelled: "bg-slate-200 text-slate-700",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span
      className={`inline-flex w-fit rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status] ?? "bg-slate-100"}`}
    >
      {status.replaceAll("_", " ")}
    </span>
  );
}

export function Alert({
  tone = "error",
  children,
}: {
  tone?: "error" | "info" | "success";
  children: React.ReactNode;
}) {
  const style = {
    error: "border-red-200 bg-red-50 text-red-800",
    info: "border-blue-200 bg-blue-50 text-blue-800",
    success: "border-emerald-200 bg-emerald-50 text-emerald-800",
  }[tone];
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={`rounded-md border px-3 py-2 text-sm ${style}`}
    >
      {children}
    </div>
  );
}

/** A part of the page whose data is on its way: said in words, never shown as empty. */
export function Loading({ children = "Loading…" }: { children?: React.ReactNode }) {
  return (
    <p role="status" className="mt-3 text-sm text-slate-600" data-testid="loading">
      {children}
    </p>
  );
}

/** A part of the page whose data could not be loaded. */
export function LoadProblem({ children }: { children: React.ReactNode }) {
  return (
    <p role="alert" className="mt-3 text-sm text-red-700">
      {children}
    </p>
  );
}

/** What is wrong with one field, in a sentence, right under it. */
export function FieldError({ id, children }: { id?: string; children: React.ReactNode }) {
  return (
    <span id={id} role="alert" className="mt-1 block text-xs font-normal text-red-700">
      {children}
    </span>
  );
}

export { formatBytes } from "@/server/format-bytes";
