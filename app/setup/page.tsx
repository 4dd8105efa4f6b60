import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { hasAnyUser } from "@/server/services/accounts/create-admin";
import { SetupForm } from "./setup-form";

export const metadata: Metadata = { title: "First run" };
export const dynamic = "force-dynamic";

// Open only until the first account exists; after that it sends everyone to sign in.
export default async function SetupPage() {
  if (await hasAnyUser()) redirect("/sign-in");
  return <SetupForm />;
}
