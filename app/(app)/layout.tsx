import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getSessionUser } from "@/server/auth/auth";
import { hasAnyUser } from "@/server/services/accounts/create-admin";
import { AppShell } from "../_components/app-shell";
import { FeedbackProvider } from "../_components/feedback";
import { RoleProvider } from "../_components/role";
import { AppProviders } from "../_components/trpc";

export const dynamic = "force-dynamic";

export default async function SignedInLayout({ children }: { children: React.ReactNode }) {
  const user = await getSessionUser(await headers());
  if (!user) redirect((await hasAnyUser()) ? "/sign-in" : "/setup");
  return (
    <AppProviders>
      <RoleProvider role={user.role}>
        <FeedbackProvider>
          <AppShell user={{ name: user.name, email: user.email, role: user.role }}>
            {children}
          </AppShell>
        </FeedbackProvider>
      </RoleProvider>
    </AppProviders>
  );
}
