import { describe, expect, it } from "vitest";
import { PAGE_SIZE, buildQuery, move, pagerState, shouldRestart } from "./paging";

const filters = { search: "", status: "all" as const };

describe("buildQuery", () => {
  it("asks for the first page with no cursor", () => {
    expect(buildQuery(filters, { at: "first" })).toEqual({
      search: null, status: "all", limit: PAGE_SIZE, after: null, before: null, last: false,
    });
  });
  it("passes the cursor the page was reached by", () => {
    expect(buildQuery(filters, { at: "after", cursor: "c1" })).toMatchObject({ after: "c1", before: null, last: false });
    expect(buildQuery(filters, { at: "before", cursor: "c0" })).toMatchObject({ after: null, before: "c0", last: false });
    expect(buildQuery(filters, { at: "last" })).toMatchObject({ after: null, before: null, last: true });
  });
  it("trims the search and sends null for an empty one", () => {
    expect(buildQuery({ search: "  jane ", status: "active" }, { at: "first" })).toMatchObject({ search: "jane", status: "active" });
    expect(buildQuery({ search: "   ", status: "active" }, { at: "first" }).search).toBeNull();
  });
});

describe("move", () => {
  const middle = { next: "n", prev: "p" };
  it("follows the page's cursors", () => {
    expect(move(middle, "next")).toEqual({ at: "after", cursor: "n" });
    expect(move(middle, "prev")).toEqual({ at: "before", cursor: "p" });
    expect(move(middle, "first")).toEqual({ at: "first" });
    expect(move(middle, "last")).toEqual({ at: "last" });
  });
  it("goes nowhere past either end", () => {
    const first = { next: "n", prev: null };
    const last = { next: null, prev: "p" };
    expect(move(first, "prev")).toBeNull();
    expect(move(first, "first")).toBeNull();
    expect(move(last, "next")).toBeNull();
    expect(move(last, "last")).toBeNull();
    expect(move(null, "next")).toBeNull();
  });
  it("tolerates undefined cursors from generated types", () => {
    expect(pagerState({ next: undefined as unknown as null, prev: undefined as unknown as null })).toEqual({
      first: false, prev: false, next: false, last: false,
    });
  });
});

describe("shouldRestart", () => {
  it("restarts an empty page that is not the first", () => {
    expect(shouldRestart({ at: "after", cursor: "x" }, { items: [], total: 10 })).toBe(true);
    expect(shouldRestart({ at: "first" }, { items: [], total: 0 })).toBe(false);
    expect(shouldRestart({ at: "after", cursor: "x" }, { items: [], total: 0 })).toBe(false);
  });
});
