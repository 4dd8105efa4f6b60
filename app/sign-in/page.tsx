import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { env } from "@/server/env";
import { hasAnyUser } from "@/server/services/accounts/create-admin";
import { singleSignOnButton } from "@/server/services/accounts/single-sign-on";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage() {
  if (!(await hasAnyUser())) redirect("/setup");
  return (
    <SignInForm
      appOrigin={env.APP_URL ? new URL(env.APP_URL).origin : null}
      singleSignOn={await singleSignOnButton()}
    />
  );
}
