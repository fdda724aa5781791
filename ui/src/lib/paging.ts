// Keyset paging of the employee table: the page is remembered as the cursor that fetched it, so
// a live refresh re-runs the same query and the admin stays where they are.
import type { EmployeeListQuery, EmployeePage, StatusChoice } from "../api";

export const PAGE_SIZE = 50;

export type PageAt =
  | { at: "first" }
  | { at: "last" }
  | { at: "after"; cursor: string }
  | { at: "before"; cursor: string };

export type Filters = { search: string; status: StatusChoice };

export function buildQuery(filters: Filters, pageAt: PageAt, limit = PAGE_SIZE): EmployeeListQuery {
  const search = filters.search.trim();
  return {
    search: search === "" ? null : search,
    status: filters.status,
    limit,
    after: pageAt.at === "after" ? pageAt.cursor : null,
    before: pageAt.at === "before" ? pageAt.cursor : null,
    last: pageAt.at === "last",
  };
}

export type PagerMove = "first" | "prev" | "next" | "last";

/** Where a pager button leads from the page on screen, or null when it leads nowhere. */
export function move(page: Pick<EmployeePage, "next" | "prev"> | null, to: PagerMove): PageAt | null {
  switch (to) {
    case "first":
      return page?.prev != null ? { at: "first" } : null;
    case "last":
      return page?.next != null ? { at: "last" } : null;
    case "next":
      return page?.next != null ? { at: "after", cursor: page.next } : null;
    case "prev":
      return page?.prev != null ? { at: "before", cursor: page.prev } : null;
  }
}

/** The pager buttons that lead somewhere. */
export function pagerState(page: Pick<EmployeePage, "next" | "prev"> | null) {
  return {
    first: move(page, "first") !== null,
    prev: move(page, "prev") !== null,
    next: move(page, "next") !== null,
    last: move(page, "last") !== null,
  };
}

/**
 * A page that came back empty while not at the start (its rows were deactivated away, or the
 * cursor's row was removed) should fall back to the first page rather than show nothing.
 */
export function shouldRestart(pageAt: PageAt, page: Pick<EmployeePage, "items" | "total">): boolean {
  return pageAt.at !== "first" && page.items.length === 0 && page.total > 0;
}
