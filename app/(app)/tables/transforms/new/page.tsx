import type { Metadata } from "next";
import { TransformEditor } from "../transform-editor";

export const metadata: Metadata = { title: "New transform" };

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<{ table?: string }>;
}) {
  const { table } = await searchParams;
  return <TransformEditor tableId={table} />;
}
