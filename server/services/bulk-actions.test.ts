import { describe, expect, it } from "vitest";
import { AppError } from "@/server/errors";
import { copyName, onEach } from "./bulk-actions";

describe("bulk actions", () => {
  it("does each id once, reports refusals by id, and stops on an unexpected error", async () => {
    const seen: string[] = [];
    const outcome = await onEach(["a", "b", "a", "c"], async (id) => {
      seen.push(id);
      if (id === "b") throw new AppError("CONFLICT", "b is still running");
    });
    expect(seen).toEqual(["a", "b", "c"]);
    expect(outcome).toEqual({ done: 2, refused: [{ id: "b", reason: "b is still running" }] });
    await expect(onEach(["x"], () => Promise.reject(new Error("database gone")))).rejects.toThrow(
      "database gone",
    );
  });

  it("names a copy after the first free name, never a copy of a copy", () => {
    expect(copyName("Sales", new Set(["Sales"]))).toBe("Sales (copy)");
    expect(copyName("Sales", new Set(["Sales", "Sales (copy)"]))).toBe("Sales (copy 2)");
    expect(copyName("Sales (copy 2)", new Set(["Sales (copy)", "Sales (copy 2)"]))).toBe(
      "Sales (copy 3)",
    );
  });
});
