import { describe, expect, it } from "vitest";
import {
  TOKEN_MASK,
  csvFileName,
  formatBytes,
  formatCount,
  maskToken,
  pageRange,
  personName,
  plural,
  relativeTime,
} from "./format";

describe("counts", () => {
  it("groups thousands", () => {
    expect(formatCount(100000)).toBe("100,000");
    expect(formatCount(0)).toBe("0");
  });
  it("pluralises", () => {
    expect(plural(1, "connection")).toBe("1 connection");
    expect(plural(2, "connection")).toBe("2 connections");
    expect(plural(1200, "employee")).toBe("1,200 employees");
  });
});

describe("pageRange", () => {
  it("labels the first page", () => {
    expect(pageRange(0, 50, 100000)).toBe("1–50 of 100,000");
  });
  it("labels a middle and a short last page", () => {
    expect(pageRange(50, 50, 1234)).toBe("51–100 of 1,234");
    expect(pageRange(1200, 34, 1234)).toBe("1,201–1,234 of 1,234");
  });
  it("never reads past the total", () => {
    expect(pageRange(40, 50, 45)).toBe("41–45 of 45");
  });
  it("says 0 of N when nothing is shown", () => {
    expect(pageRange(0, 0, 0)).toBe("0 of 0");
  });
});

describe("relativeTime", () => {
  const now = new Date("2026-11-29T14:00:00Z");
  it("reads recent times in words", () => {
    expect(relativeTime("2026-11-29T13:59:50Z", now)).toBe("just now");
    expect(relativeTime("2026-11-29T13:55:00Z", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-11-29T11:00:00Z", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-28T12:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-11-25T12:00:00Z", now)).toBe("4 days ago");
  });
  it("reads a moment ahead as now, not as the future", () => {
    expect(relativeTime("2026-11-29T14:00:20Z", now)).toBe("just now");
  });

  it("reads future times forward", () => {
    expect(relativeTime("2026-11-29T14:02:00Z", now)).toBe("in 2 minutes");
  });
  it("falls back to a date for old times", () => {
    expect(relativeTime("2026-01-02T12:00:00Z", now)).toMatch(/2026/);
  });
  it("tolerates missing or bad input", () => {
    expect(relativeTime(null, now)).toBe("—");
    expect(relativeTime(undefined, now)).toBe("—");
    expect(relativeTime("not a date", now)).toBe("—");
  });
});

describe("maskToken", () => {
  it("hides the token behind a fixed mask that does not give its length away", () => {
    expect(maskToken(null)).toBe(TOKEN_MASK);
    expect(maskToken(undefined)).toBe(TOKEN_MASK);
    expect(TOKEN_MASK).not.toMatch(/[A-Za-z0-9]/);
  });
  it("shows the token once revealed", () => {
    expect(maskToken("abc_DEF-123")).toBe("abc_DEF-123");
  });
});

describe("csvFileName", () => {
  it("names the export by the local date", () => {
    expect(csvFileName(new Date(2026, 0, 5, 23, 30))).toBe("employees-2026-01-05.csv");
    expect(csvFileName(new Date(2026, 10, 29, 9))).toBe("employees-2026-11-29.csv");
  });
});

describe("personName", () => {
  it("prefers the display name, then given + family, then email", () => {
    expect(personName({ display_name: "Jane Q. Doe", first_name: "Jane" })).toBe("Jane Q. Doe");
    expect(personName({ display_name: null, first_name: "Jane", last_name: "Doe" })).toBe("Jane Doe");
    expect(personName({ first_name: null, last_name: undefined, email: "j@x.example" })).toBe("j@x.example");
    expect(personName({ user_name: "u1" })).toBe("u1");
  });
});

describe("formatBytes", () => {
  it("reads like a file manager", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(999)).toBe("999 bytes");
    expect(formatBytes(4096)).toBe("4.1 kB");
    expect(formatBytes(12_345_678)).toBe("12 MB");
    expect(formatBytes(1_500_000_000)).toBe("1.5 GB");
  });
});
