"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { ROLE_LABEL, roleCan, type TAccessLevel, type TRole } from "@/server/auth/access";

const NAV: { href: string; label: string; level?: TAccessLevel }[] = [
  { href: "/batches/new", label: "New batch", level: "run" },
  { href: "/reports", label: "Reports" },
  { href: "/tables", label: "Tables" },
  { href: "/destinations", label: "Destinations" },
  { href: "/pipelines", label: "Pipelines" },
  { href: "/schedules", label: "Schedules" },
  { href: "/connectors", label: "Connectors" },
  { href: "/jobs", label: "Jobs" },
  { href: "/api-docs", label: "API" },
  { href: "/system", label: "System" },
  { href: "/users", label: "Users", level: "admin" },
];

export function AppShell({
  user,
  children,
}: {
  user: { name: string; email: string; role: TRole };
  children: React.ReactNode;
}) {
  const pathname = usePathname();
  const router = useRouter();
  const [isMenuOpen, setMenuOpen] = useState(false);

  async function signOut() {
    await fetch("/api/auth/sign-out", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    router.replace("/sign-in");
    router.refresh();
  }

  const links = NAV.filter((item) => !item.level || roleCan(user.role, item.level)).map((item) => {
    const isActive =
      pathname === item.href || (item.href !== "/" && pathname.startsWith(item.href));
    return (
      <Link
        key={item.href}
        href={item.href}
        onClick={() => setMenuOpen(false)}
        aria-current={isActive ? "page" : undefined}
        className={`whitespace-nowrap rounded-md px-2.5 py-2 text-sm font-medium ${
          isActive
            ? "bg-brand-50 text-brand-700"
            : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
        }`}
      >
        {item.label}
      </Link>
    );
  });

  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-4">
          <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span
              aria-hidden
              className="grid h-7 w-7 place-items-center rounded-md bg-brand-600 text-xs font-bold text-white"
            >
              DH
            </span>
            DataHaul
          </Link>
          <nav aria-label="Main" className="hidden items-center gap-0.5 xl:flex">
            {links}
          </nav>
          <div className="ml-auto hidden items-center gap-3 whitespace-nowrap xl:flex">
            <span className="text-sm text-slate-500" title={user.email}>
              {user.name || user.email}
              <span className="ml-1.5 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">
                {ROLE_LABEL[user.role]}
              </span>
            </span>
            <button
              onClick={signOut}
              className="rounded-md px-3 py-1.5 text-sm text-slate-600 hover:bg-slate-100"
            >
              Sign out
            </button>
          </div>
          <button
            className="ml-auto rounded-md border border-slate-200 px-3 py-1.5 text-sm xl:hidden"
            aria-expanded={isMenuOpen}
            aria-controls="mobile-nav"
            onClick={() => setMenuOpen((v) => !v)}
          >
            Menu
          </button>
        </div>
        {isMenuOpen && (
          <nav
            id="mobile-nav"
            aria-label="Main"
            className="flex flex-col gap-1 border-t border-slate-200 px-4 py-2 xl:hidden"
          >
            {links}
            <button
              onClick={signOut}
              className="rounded-md px-3 py-2 text-left text-sm text-slate-600 hover:bg-slate-100"
            >
              Sign out ({user.email})
            </button>
          </nav>
        )}
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </div>
  );
}
