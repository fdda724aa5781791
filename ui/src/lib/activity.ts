import type { ActivityEntry } from "../api";

/**
 * Puts a freshly fetched newest page on top of what is shown, without duplicates, keeping the
 * older entries already loaded (newest first, by sequence number).
 */
export function mergeNewest(shown: ActivityEntry[], newest: ActivityEntry[]): ActivityEntry[] {
  if (newest.length === 0) return shown;
  const bySeq = new Map<number, ActivityEntry>();
  for (const a of shown) bySeq.set(a.seq, a);
  for (const a of newest) bySeq.set(a.seq, a);
  // Entries shown before but missing from the newest page are kept only if older than it:
  // a gap above them would mean a filter change, which reloads instead.
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}
