import type { Metadata } from "next";
import Link from "next/link";
import { AuthCard } from "./_components/auth-form";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <AuthCard title="Nothing here" subtitle="This address is not a page of DataHaul.">
      <Link
        href="/"
        className="inline-block rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700"
      >
        Go to the dashboard
      </Link>
    </AuthCard>
  );
}
