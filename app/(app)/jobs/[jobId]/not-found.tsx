import Link from "next/link";
import { Alert } from "../../../_components/ui";

export default function JobNotFound() {
  return (
    <Alert tone="info">
      This job does not exist (it may have been deleted).{" "}
      <Link href="/jobs" className="font-medium underline">
        See all jobs
      </Link>
    </Alert>
  );
}
