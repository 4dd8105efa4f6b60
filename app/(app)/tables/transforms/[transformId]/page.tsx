import type { Metadata } from "next";
import { TransformEditor } from "../transform-editor";

export const metadata: Metadata = { title: "Transform" };

export default async function Page({ params }: { params: Promise<{ transformId: string }> }) {
  const { transformId } = await params;
  return <TransformEditor transformId={transformId} />;
}
