// Formatting for what the admin reads: counts, times, page ranges, masked secrets, file names.

const countFormat = new Intl.NumberFormat("en-US");

/** 100000 → "100,000". */
export function formatCount(n: number): string {
  return countFormat.format(n);
}

/** "1 employee", "2 employees" (with the count formatted). */
/** A size in bytes as people read it: "512 bytes", "3.2 MB", "1.5 GB" (powers of 1,000, as file managers show). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let v = n;
  let unit = "";
  for (const u of units) {
    v /= 1000;
    unit = u;
    if (v < 1000) break;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** The pager's label: "1–50 of 100,000"; "0 of 0" when nothing matches. */
export function pageRange(offset: number, shown: number, total: number): string {
  if (shown <= 0 || total <= 0) return `0 of ${formatCount(Math.max(total, 0))}`;
  const first = offset + 1;
  const last = Math.min(offset + shown, total);
  return `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)}`;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * "just now", "5 minutes ago", "3 hours ago", "yesterday", "4 days ago", then a date.
 * Future times (clock skew, a retry time) read "in 2 minutes".
 */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  const d = parse(iso);
  if (!d) return "—";
  const diff = Math.round((now.getTime() - d.getTime()) / 1000);
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  // A write stamped by the endpoint a moment after the page took its "now" is not in the future.
  if (abs < 45 || (diff < 0 && abs < 90)) return "just now";
  if (abs < 45 * MINUTE) return rtf.format(-Math.round(diff / MINUTE), "minute");
  if (abs < 22 * HOUR) return rtf.format(-Math.round(diff / HOUR), "hour");
  if (abs < 7 * DAY) return rtf.format(-Math.round(diff / DAY), "day");
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(d);
}

/** The full local time, for titles: "29 Nov 2026, 14:05:12". */
export function absoluteTime(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return "";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(d);
}

/** A token is shown as a fixed run of dots, so its length is not given away either. */
export const TOKEN_MASK = "••••••••";

export function maskToken(revealed: string | null | undefined): string {
  return revealed ? revealed : TOKEN_MASK;
}

/** The default file name of an export: employees-YYYY-MM-DD.csv, in local time. */
export function csvFileName(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `employees-${y}-${m}-${d}.csv`;
}

/** A person's name as the directory knows it, falling back to the email or user name. */
export function personName(e: {
  display_name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  user_name?: string | null;
}): string {
  const given = [e.first_name, e.last_name].filter((s) => s && s.trim()).join(" ");
  return e.display_name?.trim() || given || e.email || e.user_name || "Unnamed";
}
