"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { TProductProgress } from "@/server/services/jobs/job-progress";
import { useTRPC } from "../../../_components/trpc";
import { countDone, describeOutcome, imageOutcomeBar } from "./item-counts";
import { OutcomeBar } from "./outcome-bar";

const MAX_THUMBNAILS = 8;

export function ProductCard({ jobId, product }: { jobId: string; product: TProductProgress }) {
  const trpc = useTRPC();
  const done = countDone(product);
  const finished = done + product.cancelled;
  const items = useQuery(trpc.jobs.productItems.queryOptions({ jobId, productId: product.id }));
  const { refetch } = items;
  // reload the card's items exactly when one of them finishes
  useEffect(() => {
    void refetch();
  }, [finished, refetch]);
  const thumbnails =
    items.data?.filter((i) => i.state === "downloaded").slice(0, MAX_THUMBNAILS) ?? [];
  // cancelled items are counted above; listing each one as "cancelled" said nothing more
  const problems = items.data?.filter((i) => i.state === "failed") ?? [];

  return (
    <article
      className="min-w-0 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="product-card"
      data-product={product.number}
    >
      <header className="flex items-center gap-2">
        <h3
          className="min-w-0 flex-1 truncate font-mono text-sm font-semibold"
          title={product.number}
        >
          {product.number}
        </h3>
        <span className="text-xs tabular-nums text-slate-500">
          {done}/{product.total}
        </span>
        {product.downloaded > 0 ? (
          <a
            href={`/api/jobs/${jobId}/products/${encodeURIComponent(product.number)}/archive`}
            className="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50"
            // two dozen links all called "ZIP" tell a screen reader user nothing about which is which
            aria-label={`ZIP of ${product.number}`}
            download
          >
            ZIP
          </a>
        ) : (
          <span className="text-xs text-slate-400">
            {finished < product.total ? "no files yet" : "no files"}
          </span>
        )}
      </header>
      <div className="mt-2">
        <OutcomeBar {...imageOutcomeBar(product)} label={`Progress of ${product.number}`} />
      </div>
      <p
        className={`mt-1 text-xs ${product.failed > 0 ? "text-red-700" : "text-slate-500"}`}
        data-testid="product-outcome"
      >
        {describeOutcome(product)}
      </p>
      {thumbnails.length > 0 && (
        <div className="mt-3 grid grid-cols-4 gap-2">
          {thumbnails.map((item) => (
            // opens the stored copy, which is what the ZIP holds; the source address is in the tooltip
            <a
              key={item.id}
              href={`/api/jobs/${jobId}/items/${item.id}/image`}
              target="_blank"
              rel="noreferrer noopener"
              title={`${item.url} (opens the stored copy)`}
            >
              <Thumbnail
                src={`/api/jobs/${jobId}/items/${item.id}/image`}
                alt={`${product.number} image ${item.position}`}
                contentType={item.contentType}
              />
            </a>
          ))}
        </div>
      )}
      {problems.length > 0 && (
        <ul className="mt-3 space-y-1 text-xs">
          {problems.slice(0, 5).map((item) => (
            <li
              key={item.id}
              className="truncate text-red-700"
              title={`${item.url}: ${item.error ?? ""}`}
            >
              #{item.position}: {item.error}
            </li>
          ))}
          {problems.length > 5 && (
            <li className="text-slate-500">and {problems.length - 5} more</li>
          )}
        </ul>
      )}
    </article>
  );
}

/** A downloaded file the browser cannot draw (a damaged or exotic image) gets a label instead of a broken icon. */
function Thumbnail({
  src,
  alt,
  contentType,
}: {
  src: string;
  alt: string;
  contentType: string | null;
}) {
  const [isBroken, setBroken] = useState(false);
  if (isBroken) {
    return (
      <span className="grid aspect-square w-full place-items-center rounded-md border border-slate-200 bg-slate-50 p-1 text-center text-[10px] leading-tight text-slate-500">
        {contentType ?? "file"}
        <br />
        no preview
      </span>
    );
  }
  return (
    // eslint-disable-next-line @next/next/no-img-element -- our own authenticated route, not optimisable by next/image
    <img
      src={src}
      alt={alt}
      loading="lazy"
      onError={() => setBroken(true)}
      className="aspect-square w-full rounded-md border border-slate-200 bg-slate-50 object-contain"
    />
  );
}
