/** Client-safe: why a single sign-on came back without a session, as the sign-in page says it. */
export const SSO_REFUSALS = {
  not_configured: "Single sign-on is switched off. Sign in with your email and password.",
  provider_unreachable:
    "The sign-in provider could not be reached. Try again in a moment, or ask your admin to check the single sign-on settings.",
  provider_refused: "The sign-in provider did not sign you in.",
  invalid_answer:
    "The sign-in provider's answer could not be trusted, so you were not signed in. Ask your admin to check the single sign-on settings (the audit log has the reason).",
  expired_attempt:
    "This sign-in attempt expired or was started in another browser. Start again from this page.",
  no_email: "The sign-in provider did not share your email address, so no account could be found.",
  email_unverified:
    "The sign-in provider has not verified your email address. Verify it there, then sign in again.",
  no_account: "There is no DataHaul account for your email address. Ask your admin to add you.",
  account_disabled: "This account is disabled. Ask your admin to enable it again.",
} as const;

export type TSsoRefusalCode = keyof typeof SSO_REFUSALS;

export function ssoRefusalMessage(code: string | null): string | null {
  if (!code) return null;
  return code in SSO_REFUSALS
    ? SSO_REFUSALS[code as TSsoRefusalCode]
    : "Single sign-on did not work. Try again, or sign in with your email and password.";
}

/** The roles people the provider signs in are given when they have no account yet; never admin. */
export const SSO_NEW_USER_ROLES = ["viewer", "operator"] as const;
