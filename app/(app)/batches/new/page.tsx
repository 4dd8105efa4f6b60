import type { Metadata } from "next";
import { NewBatch } from "./new-batch";

export const metadata: Metadata = { title: "New image batch" };

export default function NewBatchPage() {
  return <NewBatch />;
}
