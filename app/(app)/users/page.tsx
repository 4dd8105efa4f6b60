import type { Metadata } from "next";
import { env } from "@/server/env";
import { canSendAccountMail } from "@/server/services/accounts/account-mail";
import { UsersPage } from "./users-page";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

export default function Page() {
  return (
    <UsersPage
      appOrigin={env.APP_URL ? new URL(env.APP_URL).origin : null}
      canEmail={canSendAccountMail()}
    />
  );
}
