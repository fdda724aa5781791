// How the reconcile with Okta is worded in the app: its progress, its last run, the counts and
// what an Apply will change and did. The core gives codes and numbers; the sentences are here.
import type { ReconcileSchedule } from "../api";
import type { ReconcileApplied, ReconcileCounts, ReconcileProgress, ReconcileRowKind, ReconcileRun } from "../api";
import { formatCount, plural } from "./format";

export const KIND_TITLE: Record<ReconcileRowKind, string> = {
  missing_here: "Missing here",
  stale_here: "Stale here",
  should_be_deactivated: "Should be deactivated",
  unknown_to_okta: "Unknown to Okta",
};

export const KIND_HELP: Record<ReconcileRowKind, string> = {
  missing_here: "Assigned to the app in Okta, but not in the directory. Apply creates them.",
  stale_here: "In both, but a field differs. Apply takes Okta's value.",
  should_be_deactivated: "Active here, but deprovisioned or unassigned in Okta. Apply deactivates them.",
  unknown_to_okta: "Active here and from this connection, but not assigned to the app in Okta. Apply deactivates them.",
};

export const KINDS: readonly ReconcileRowKind[] = ["missing_here", "stale_here", "should_be_deactivated", "unknown_to_okta"];

/** `14:03:07` from an ISO time, in the admin's local time. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** "Read 1,000 app users (2 pages) of about 1,200" and, while it waits, the rate limit. */
export function progressText(p: ReconcileProgress): string {
  if (p.applying) return "Writing the changes to the directory…";
  let text =
    p.pages === 0 && p.okta_users === 0
      ? "Asking Okta for the app's users…"
      : `Read ${plural(p.okta_users, "app user")} from Okta (${plural(p.pages, "page")})`;
  if (p.about_total && p.about_total > 0 && p.okta_users > 0) text += ` of about ${formatCount(p.about_total)}`;
  if (p.waiting_until) text += `; waiting for Okta's rate limit until ${clockTime(p.waiting_until)}`;
  return text;
}

/** How far along, 0..1, when the estimate allows; none otherwise. */
export function progressFraction(p: ReconcileProgress): number | null {
  if (!p.about_total || p.about_total <= 0) return null;
  return Math.min(p.okta_users / p.about_total, 1);
}

export function totalRows(c: ReconcileCounts): number {
  return c.missing_here + c.stale_here + c.should_be_deactivated + c.unknown_to_okta;
}

/** The last run in a few words: "in step", "12 differences", "failed: …", "cancelled". */
export function lastRunText(r: ReconcileRun): string {
  const what = r.apply ? "Applied" : "Dry run";
  switch (r.outcome) {
    case "in_step":
      if (r.apply && r.applied) return `${what}: ${formatCount(r.applied.created)} created, ${formatCount(r.applied.updated)} updated, ${formatCount(r.applied.deactivated)} deactivated`;
      return r.apply ? what : "In step with Okta";
    case "drift":
      if (r.apply) return `${what}: ${r.applied ? plural(r.applied.failed, "change") : "some changes"} failed`;
      return r.counts ? `${plural(r.counts.missing_here + r.counts.stale_here + r.counts.should_be_deactivated + r.counts.unknown_to_okta, "difference")} found` : "Differences found";
    case "cancelled":
      return "Cancelled";
    case "failed":
      return `Failed: ${r.failure ?? "see the activity log"}`;
  }
}

export const TRIGGER_TEXT = { manual: "run by hand", schedule: "on schedule", after_window: "after Okta couldn't reach SCIM Desk" } as const;

/** What applying these rows will do, in the confirmation's words. */
export function applyPlan(created: number, updated: number, deactivated: number): string {
  const parts: string[] = [];
  if (created) parts.push(`create ${plural(created, "employee")}`);
  if (updated) parts.push(`update ${plural(updated, "employee")}`);
  if (deactivated) parts.push(`deactivate ${plural(deactivated, "employee")}`);
  return parts.length ? parts.join(", ") : "change nothing";
}

/** "Applied: 3 created, 2 updated, 1 deactivated; 1 already in step; 1 failed: reason". */
export function appliedText(a: ReconcileApplied): string {
  let text = `Applied: ${formatCount(a.created)} created, ${formatCount(a.updated)} updated, ${formatCount(a.deactivated)} deactivated`;
  if (a.already_in_step) text += `; ${formatCount(a.already_in_step)} already in step`;
  if (a.failed.length) {
    const first = a.failed[0];
    text += `; ${formatCount(a.failed.length)} failed: ${first.user_name ? `${first.user_name}: ` : ""}${first.reason}`;
    if (a.failed.length > 1) text += ` (and ${plural(a.failed.length - 1, "other")})`;
  }
  return `${text}. Nobody was deleted.`;
}

/** An employee field's name as the admin reads it. */
export function fieldName(field: string | null): string {
  if (!field) return "";
  const names: Record<string, string> = {
    user_name: "Username",
    email: "Email",
    first_name: "First name",
    last_name: "Last name",
    display_name: "Display name",
    job_title: "Job title",
    department: "Department",
    business_unit: "Business unit",
    employee_id: "Employee ID",
    location: "Location",
    status: "Status",
  };
  return names[field] ?? field;
}

export const SCHEDULE_TEXT: Record<ReconcileSchedule, string> = {
  off: "Off",
  "6h": "Every 6 hours",
  daily: "Daily",
  weekly: "Weekly",
};
