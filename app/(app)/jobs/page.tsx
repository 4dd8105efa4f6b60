import type { Metadata } from "next";
import { Suspense } from "react";
import { JobsList } from "./jobs-list";

export const metadata: Metadata = { title: "Jobs" };

export default function JobsPage() {
  // the list reads its filters from the URL query
  return (
    <Suspense>
      <JobsList />
    </Suspense>
  );
}
