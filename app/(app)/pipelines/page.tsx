import type { Metadata } from "next";
import { PipelinesPage } from "./pipelines-page";

export const metadata: Metadata = { title: "Pipelines" };

export default function Page() {
  return <PipelinesPage />;
}
