// The browser mock's attribute mapping (see ./mock.ts): each provider's mapping, the custom
// fields every provider shares, and the re-derive that rewrites employees' fields from the SCIM
// documents they came with, in batches announced as `rederive` change events, as the core does.
import type { AppError, AttributeMapping, ChangeEvent, CustomFieldColumn, Employee, FieldKind, MappedField, MappingInput, Provider, SeenAttribute } from "./api";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME = "urn:example:params:scim:schemas:extension:acme:2.0:User";

type BuiltIn = { key: string; label: string; path: string; required?: boolean; field: keyof Employee };

/** The built-in directory fields and where they come from by default (the core's defaults). */
const BUILT_IN: BuiltIn[] = [
  { key: "user_name", label: "User name", path: "userName", field: "user_name" },
  { key: "email", label: "Email", path: 'emails[type eq "work"].value', required: true, field: "email" },
  { key: "first_name", label: "First name", path: "name.givenName", field: "first_name" },
  { key: "last_name", label: "Last name", path: "name.familyName", field: "last_name" },
  { key: "display_name", label: "Display name", path: "displayName", field: "display_name" },
  { key: "job_title", label: "Job title", path: "title", field: "job_title" },
  { key: "department", label: "Department", path: `${ENT}:department`, field: "department" },
  { key: "business_unit", label: "Business unit", path: `${ENT}:division`, field: "business_unit" },
  { key: "employee_id", label: "Employee ID", path: `${ENT}:employeeNumber`, field: "employee_id" },
  { key: "manager", label: "Manager", path: `${ENT}:manager.value`, field: "manager_email" },
  { key: "location", label: "Location", path: 'addresses[type eq "work"].locality', field: "location" },
];

const PATH = /^(urn:[A-Za-z0-9.\-_]+(:[A-Za-z0-9.\-_]+)*:)?[A-Za-z][A-Za-z0-9_-]*(\[[A-Za-z]+ eq "[^"]*"\])?(\.[A-Za-z][A-Za-z0-9_-]*)?$/;
const KEY = /^[a-z][a-z0-9_]{0,39}$/;

type Custom = { key: string; label: string; kind: FieldKind };

export type MappingMockHost = {
  employees: () => (Employee & { custom: Record<string, string | undefined> })[];
  providerOf: (e: Employee) => Provider | null;
  changed: (e: ChangeEvent) => void;
};

function fail(message: string, field: string | null = null): never {
  throw { message, field } satisfies AppError;
}

export function mappingMock(host: MappingMockHost) {
  const customs: Custom[] = [];
  const paths: Record<Provider, Record<string, string | null>> = {
    okta: Object.fromEntries(BUILT_IN.map((b) => [b.key, b.path])),
    entra: Object.fromEntries(BUILT_IN.map((b) => [b.key, b.path])),
  };
  const allowShared: Record<Provider, boolean> = { okta: false, entra: false };
  const running: Partial<Record<Provider, { done: number; total: number }>> = {};
  /** Each employee's SCIM document, as it came (made up from the fields it was seeded with). */
  const docs = new Map<string, Record<string, string>>();

  const docOf = (e: Employee): Record<string, string> => {
    let d = docs.get(e.id);
    if (!d) {
      d = {};
      for (const b of BUILT_IN) {
        const v = e[b.field];
        if (typeof v === "string" && v) d[b.path] = v;
      }
      const n = [...e.id].reduce((a, c) => a + c.charCodeAt(0), 0);
      d[`${ACME}:costCenter`] = `CC-${4100 + (n % 7) * 100}`;
      if (e.job_title) d[`${ACME}:businessTitle`] = /^(Senior|Lead|Staff|Principal) /.test(e.job_title) ? e.job_title : `${["Senior", "Lead", "Principal"][n % 3]} ${e.job_title}`;
      d[`${ACME}:startDate`] = `20${10 + (n % 15)}-0${1 + (n % 9)}-1${n % 10}`;
      docs.set(e.id, d);
    }
    return d;
  };

  const fields = (p: Provider): MappedField[] => [
    ...BUILT_IN.map((b) => ({ key: b.key, label: b.label, kind: "text" as FieldKind, custom: false, path: paths[p][b.key] ?? null, default_path: b.path, required: !!b.required })),
    ...customs.map((c) => ({ key: c.key, label: c.label, kind: c.kind, custom: true, path: paths[p][c.key] ?? null, default_path: null, required: false })),
  ];

  const view = (p: Provider): AttributeMapping => ({
    provider: p,
    fields: fields(p),
    allow_shared_paths: allowShared[p],
    is_default: customs.every((c) => !paths[p][c.key]) && BUILT_IN.every((b) => paths[p][b.key] === b.path),
    rederive: running[p] ? { provider: p, ...running[p] } : null,
  });

  /** Rewrites the provider's employees from their documents, 25 at a time (slowly enough to see). */
  const rederive = (p: Provider) => {
    const all = host.employees().filter((e) => host.providerOf(e) === p);
    all.forEach(docOf);
    const run = { done: 0, total: all.length };
    running[p] = run;
    host.changed({ kind: "rederive", provider: p, done: 0, total: run.total, finished: false });
    const step = () => {
      if (running[p] !== run) return; // a newer save took over
      for (const e of all.slice(run.done, run.done + 25)) {
        const d = docOf(e);
        const rec = e as unknown as Record<string, unknown>;
        for (const b of BUILT_IN) {
          const path = paths[p][b.key];
          rec[b.field] = path ? (d[path] ?? null) : null;
        }
        if (!e.email) e.email = d[BUILT_IN[1].path] ?? null;
        const custom: Record<string, string> = {};
        for (const c of customs) {
          const path = paths[p][c.key];
          const v = path ? d[path] : undefined;
          if (v !== undefined) custom[c.key] = v;
        }
        e.custom = custom;
      }
      run.done = Math.min(run.total, run.done + 25);
      const finished = run.done >= run.total;
      if (finished) delete running[p];
      host.changed({ kind: "rederive", provider: p, done: run.done, total: run.total, finished });
      if (!finished) setTimeout(step, 300);
    };
    setTimeout(step, 300);
  };

  const save = (p: Provider, input: MappingInput): AttributeMapping => {
    for (const b of BUILT_IN) if (!input.fields.some((f) => f.key === b.key && !f.custom)) fail(`The field ${b.label} is missing from the mapping.`, `fields.${b.key}`);
    const seen = new Map<string, string>();
    for (const f of input.fields) {
      const label = f.label.trim();
      if (f.custom) {
        if (!label) fail("Give the field a name.", `fields.${f.key}.label`);
        if (!KEY.test(f.key) || BUILT_IN.some((b) => b.key === f.key)) fail(`"${f.key}" can't be a custom field's key: use a-z, 0-9 and _, starting with a letter.`, `fields.${f.key}.label`);
      }
      const path = f.path?.trim() || null;
      const b = BUILT_IN.find((x) => x.key === f.key);
      if (!path) {
        if (b?.required) fail(`${b.label} must come from an attribute: every employee needs one.`, `fields.${f.key}.path`);
        continue;
      }
      if (!PATH.test(path)) fail(`"${path}" is not a SCIM attribute path. Write it as Okta names it, like title, name.givenName or ${ENT}:department.`, `fields.${f.key}.path`);
      const other = seen.get(path.toLowerCase());
      if (other && !input.allow_shared_paths) fail(`${other} already comes from ${path}. Choose another attribute, or allow two fields from one attribute.`, `fields.${f.key}.path`);
      seen.set(path.toLowerCase(), label || f.key);
    }
    // Custom fields: the list given is every provider's (one left out is removed everywhere).
    const given = input.fields.filter((f) => f.custom);
    for (const c of [...customs]) {
      if (!given.some((f) => f.key === c.key)) {
        customs.splice(customs.indexOf(c), 1);
        delete paths.okta[c.key];
        delete paths.entra[c.key];
      }
    }
    for (const f of given) {
      const have = customs.find((c) => c.key === f.key);
      if (have) Object.assign(have, { label: f.label.trim(), kind: f.kind });
      else customs.push({ key: f.key, label: f.label.trim(), kind: f.kind });
    }
    for (const f of input.fields) paths[p][f.key] = f.path?.trim() || null;
    allowShared[p] = input.allow_shared_paths;
    rederive(p);
    return view(p);
  };

  return {
    customColumns: (): CustomFieldColumn[] => customs.map((c) => ({ ...c })),
    attribute_mapping: ({ provider }: { provider: Provider }) => view(provider),
    mapping_sources: ({ provider }: { provider: Provider }): SeenAttribute[] => {
      const by = new Map<string, { examples: Set<string>; employees: number }>();
      for (const e of host.employees()) {
        if (host.providerOf(e) !== provider) continue;
        for (const [path, v] of Object.entries(docOf(e))) {
          const s = by.get(path) ?? { examples: new Set<string>(), employees: 0 };
          s.employees += 1;
          if (s.examples.size < 3) s.examples.add(v);
          by.set(path, s);
        }
      }
      return [...by.entries()]
        .map(([path, s]) => ({ path, examples: [...s.examples], employees: s.employees }))
        .sort((a, b) => b.employees - a.employees || a.path.localeCompare(b.path));
    },
    save_attribute_mapping: ({ provider, input }: { provider: Provider; input: MappingInput }) => save(provider, input),
    reset_attribute_mapping: ({ provider }: { provider: Provider }) => {
      for (const b of BUILT_IN) paths[provider][b.key] = b.path;
      for (const c of customs) paths[provider][c.key] = null;
      const other: Provider = provider === "okta" ? "entra" : "okta";
      for (const c of [...customs]) if (!paths[other][c.key]) customs.splice(customs.indexOf(c), 1);
      rederive(provider);
      return view(provider);
    },
    export_attribute_mapping: ({ provider }: { provider: Provider }) =>
      JSON.stringify({ provider, fields: fields(provider).map(({ key, label, kind, custom, path }) => ({ key, label, kind, custom, path })) }, null, 2),
    import_attribute_mapping: ({ provider, json }: { provider: Provider; json: string }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        fail(`This is not a mapping as Export JSON writes it: ${(e as Error).message}.`, "json");
      }
      const list = (parsed as { fields?: unknown })?.fields;
      if (!Array.isArray(list)) fail('This is not a mapping as Export JSON writes it: it has no "fields" list.', "json");
      return save(provider, { fields: list as MappingInput["fields"], allow_shared_paths: !!(parsed as { allow_shared_paths?: boolean }).allow_shared_paths });
    },
  };
}
