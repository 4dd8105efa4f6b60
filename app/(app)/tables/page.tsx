import type { Metadata } from "next";
import { TablesPage } from "./tables-page";

export const metadata: Metadata = { title: "Tables" };

export default function Page() {
  return <TablesPage />;
}
