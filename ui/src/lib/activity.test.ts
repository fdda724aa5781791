import { describe, expect, it } from "vitest";
import type { ActivityEntry } from "../api";
import { mergeNewest } from "./activity";

const entry = (seq: number): ActivityEntry => ({
  seq, at: "2026-11-29T12:00:00Z", connection_id: "c", connection_name: "Okta", method: "POST",
  operation: "create", resource_type: "User", resource_id: null, employee_id: null,
  summary: `#${seq}`, outcome: "success", status: 201, detail: null,
});

describe("mergeNewest", () => {
  it("puts new entries on top and keeps the older pages", () => {
    const shown = [5, 4, 3, 2, 1].map(entry);
    const merged = mergeNewest(shown, [7, 6, 5, 4].map(entry));
    expect(merged.map((a) => a.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });
  it("leaves the list alone when nothing came back", () => {
    const shown = [2, 1].map(entry);
    expect(mergeNewest(shown, [])).toBe(shown);
  });
  it("never duplicates an entry", () => {
    const merged = mergeNewest([3, 2].map(entry), [3, 2].map(entry));
    expect(merged).toHaveLength(2);
  });
});
