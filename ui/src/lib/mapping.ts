// The attribute mapping editor's logic, apart from its screen: the draft the admin edits, what
// Save sends, a custom field's key from its label, fields sharing one attribute, and which row a
// refusal of the core is about.
import type { AttributeMapping, FieldKind, MappedField, MappingInput } from "../api";

export const FIELD_KINDS: { kind: FieldKind; label: string }[] = [
  { kind: "text", label: "Text" },
  { kind: "date", label: "Date" },
  { kind: "number", label: "Number" },
  { kind: "boolean", label: "Yes/no" },
];

export const kindLabel = (k: FieldKind) => FIELD_KINDS.find((x) => x.kind === k)?.label ?? k;

/** A row being edited: the field as the core described it, its path as typed. */
export type DraftField = MappedField & { text: string };

export function draftOf(m: AttributeMapping): DraftField[] {
  return m.fields.map((f) => ({ ...f, text: f.path ?? "" }));
}

/** The path a row's text stands for: none when blank. */
export const pathOf = (text: string): string | null => (text.trim() === "" ? null : text.trim());

export function inputOf(draft: DraftField[], allowShared: boolean): MappingInput {
  return {
    fields: draft.map((f) => ({ key: f.key, label: f.label, kind: f.kind, custom: f.custom, path: pathOf(f.text) })),
    allow_shared_paths: allowShared,
  };
}

/** Whether the draft differs from what is saved. */
export function isChanged(draft: DraftField[], saved: AttributeMapping): boolean {
  const a = inputOf(draft, false).fields;
  const b = inputOf(draftOf(saved), false).fields;
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** A custom field's key from its label: "Cost center" → "cost_center" (the core checks it). */
export function keyFromLabel(label: string): string {
  return label
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
}

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/** Why a new custom field can't be added as typed, or null. */
export function checkNewField(label: string, draft: DraftField[]): string | null {
  const l = label.trim();
  if (l === "") return "Give the field a name.";
  const key = keyFromLabel(l);
  if (!KEY_PATTERN.test(key)) return "Start the name with a letter (a–z).";
  const same = draft.find((f) => f.key === key || f.label.toLowerCase() === l.toLowerCase());
  if (same) return `There already is a field "${same.label}".`;
  return null;
}

/** Groups of fields whose paths are the same attribute (paths compared without case). */
export function sharedPaths(draft: DraftField[]): DraftField[][] {
  const by = new Map<string, DraftField[]>();
  for (const f of draft) {
    const p = pathOf(f.text);
    if (!p) continue;
    const k = p.toLowerCase();
    by.set(k, [...(by.get(k) ?? []), f]);
  }
  return [...by.values()].filter((g) => g.length > 1);
}

/** Which row (and which part of it) a refusal's field names: `fields.cost_center.label`,
 *  `fields.cost_center.path`, or the field itself, `fields.job_title` (its attribute; for a
 *  custom field, its name, which its key comes from). */
export function rowOfError(field: string | null, draft: DraftField[] = []): { key: string; part: "path" | "label" } | null {
  const m = field ? /^fields\.([^.]+)(?:\.(path|label))?$/.exec(field) : null;
  if (!m) return null;
  const custom = draft.find((f) => f.key === m[1])?.custom ?? false;
  return { key: m[1], part: m[2] === "label" || (!m[2] && custom) ? "label" : "path" };
}
