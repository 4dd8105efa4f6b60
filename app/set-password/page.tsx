import type { Metadata } from "next";
import { SetPasswordForm } from "./set-password-form";

export const metadata: Metadata = { title: "Set your password" };

// Public: the one-time link's token, in the address's fragment, is what lets a person in.
export default function SetPasswordPage() {
  return <SetPasswordForm />;
}
