import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSortableId } from "./sortable-id";

describe("createSortableId", () => {
  it("makes version-7 UUIDs that sort in the order they were made, within a millisecond too", () => {
    const now = Date.UTC(2026, 11, 5, 10, 0, 0);
    const ids = [
      ...Array.from({ length: 5_000 }, () => createSortableId(now)),
      ...Array.from({ length: 10 }, () => createSortableId(now + 1)),
      createSortableId(now + 60_000),
    ];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 3)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(z.uuid().safeParse(id).success).toBe(true);
    }
    // the timestamp leads: the first 12 hex digits are the milliseconds
    expect(parseInt(ids.at(-1)!.replace("-", "").slice(0, 12), 16)).toBe(now + 60_000);
  });
});
