import type { Metadata } from "next";
import { SystemCheck } from "./system-check";

export const metadata: Metadata = { title: "System check" };

export default function SystemPage() {
  return <SystemCheck />;
}
