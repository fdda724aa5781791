// Settings › Integrations › Okta (or Microsoft Entra ID) › Attribute mapping: which SCIM attribute
// each directory field comes from, and the admin's own custom fields. Saving re-derives every
// employee of that provider from the documents already stored, in the background; the progress
// comes as `rederive` change events (lib/rederive.tsx). The same mapping is
// `scimdesk mapping show|set|reset`.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type ChangeEvent as InputChange } from "react";
import { call, type AttributeMapping, type FieldKind, type Provider, type SeenAttribute } from "../api";
import { CopyButton, ProgressBar } from "../components/bits";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { IconAlert, IconDownload, IconPlus, IconX } from "../components/Icons";
import { PathCombobox } from "../components/PathCombobox";
import { useToast } from "../components/Toasts";
import { errorField, errorMessage } from "../lib/errors";
import {
  checkNewField,
  draftOf,
  FIELD_KINDS,
  inputOf,
  isChanged,
  keyFromLabel,
  kindLabel,
  pathOf,
  rowOfError,
  sharedPaths,
  type DraftField,
} from "../lib/mapping";
import { PROVIDER_WORDS } from "../lib/providers";
import { command, commandKey } from "../lib/queries";
import { rederiveCount, rederiveResult, useRederive } from "../lib/rederive";

export function MappingPage({ provider }: { provider: Provider }) {
  const words = PROVIDER_WORDS[provider];
  const mapping = useQuery(command("attribute_mapping", { provider }));
  const sources = useQuery(command("mapping_sources", { provider }));
  const [dialog, setDialog] = useState<"import" | "export" | null>(null);
  const client = useQueryClient();
  // An imported mapping starts the editor afresh.
  const [generation, setGeneration] = useState(0);
  const [unsaved, setUnsaved] = useState(false);

  return (
    <div className="page" data-testid={`${provider}-mapping-page`}>
      <header className="page-header">
        <div className="page-header-main">
          <nav className="breadcrumb" aria-label="Breadcrumb">
            <ol>
              <li><a href="#/settings/integrations">Settings</a></li>
              <li><a href="#/settings/integrations">Integrations</a></li>
              <li><a href={words.href}>{words.name}</a></li>
              <li aria-current="page">Attribute mapping</li>
            </ol>
          </nav>
          <h1 className="page-title">Attribute mapping</h1>
          <p className="page-lede">
            Which attribute of what {words.name} sends fills each directory field. A change applies to every employee{" "}
            {words.name} provisions, from what it already sent: nothing needs sending again.
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="button" onClick={() => setDialog("import")} disabled={!mapping.data} data-testid="mapping-import">
            <span>Import JSON</span>
          </button>
          <button type="button" className="button" onClick={() => setDialog("export")} disabled={!mapping.data} data-testid="mapping-export">
            <IconDownload />
            <span>Export JSON</span>
          </button>
        </div>
      </header>

      <RederiveStatus provider={provider} mapping={mapping.data} />

      {mapping.error && !mapping.data && (
        <p className="field-error" role="alert">
          Couldn't load the mapping: {errorMessage(mapping.error)}
        </p>
      )}
      {mapping.data ? (
        <MappingEditor key={generation} onChanged={setUnsaved} provider={provider} mapping={mapping.data} sources={sources.data ?? []} />
      ) : (
        !mapping.error && <p className="muted">Loading…</p>
      )}

      {dialog === "export" && <ExportDialog provider={provider} onClose={() => setDialog(null)} />}
      {dialog === "import" && (
        <ImportDialog
          provider={provider}
          unsaved={unsaved}
          onClose={() => setDialog(null)}
          onImported={(m) => {
            client.setQueryData(commandKey("attribute_mapping", { provider }), m);
            // Fetched again too: the re-derive it started may already be over.
            void client.invalidateQueries({ queryKey: commandKey("attribute_mapping", { provider }) });
            setGeneration((g) => g + 1);
            setDialog(null);
            document.getElementById("main")?.scrollTo?.({ top: 0, behavior: "smooth" });
          }}
        />
      )}
    </div>
  );
}

/** The re-derive under way (a bar and "1,234 of 5,000"), or how the last one ended. */
function RederiveStatus({ provider, mapping }: { provider: Provider; mapping: AttributeMapping | undefined }) {
  const run = useRederive(provider);
  // The events say how far it is; the core's answer (refetched after each, so a step behind)
  // only when no event came yet (the page opened during a re-derive started elsewhere).
  const running = run ? (run.finished ? null : run) : mapping?.rederive ? { ...mapping.rederive, finished: false, changed: null } : null;
  if (running) {
    return (
      <div className="card rederive-card" data-testid="rederive-progress" aria-live="polite">
        <ProgressBar fraction={running.total > 0 ? running.done / running.total : null} label="Updating employees' fields" />
        <p className="small">
          Updating employees' fields after the mapping change… <span data-testid="rederive-count">{rederiveCount(running)}</span>
        </p>
      </div>
    );
  }
  if (run?.finished) {
    return (
      <p className="callout callout-neutral rederive-result" data-testid="rederive-result" role="status">
        {rederiveResult(run)}
      </p>
    );
  }
  return null;
}

type RowErrors = Record<string, { path?: string; label?: string }>;

function MappingEditor({
  onChanged,
  provider,
  mapping,
  sources,
}: {
  onChanged: (changed: boolean) => void;
  provider: Provider;
  mapping: AttributeMapping;
  sources: SeenAttribute[];
}) {
  const words = PROVIDER_WORDS[provider];
  const client = useQueryClient();
  const { toast } = useToast();
  const [draft, setDraft] = useState<DraftField[]>(() => draftOf(mapping));
  const [allowShared, setAllowShared] = useState(mapping.allow_shared_paths);
  const [sharedRefused, setSharedRefused] = useState(false);
  const [errors, setErrors] = useState<RowErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<DraftField | null>(null);
  const [resetting, setResetting] = useState(false);
  const changed = isChanged(draft, mapping);

  // Follows the saved mapping (refetched after each change), unless the admin is editing.
  const [shown, setShown] = useState(mapping);
  if (shown !== mapping && !changed) {
    setShown(mapping);
    setDraft(draftOf(mapping));
    setAllowShared(mapping.allow_shared_paths);
  }

  /** A mapping the core answered (saved, reset or imported) becomes the page's. */
  const replace = (m: AttributeMapping) => {
    setShown(m);
    setDraft(draftOf(m));
    setErrors({});
    setFormError(null);
    setAllowShared(m.allow_shared_paths);
    // Fetched again rather than set: the re-derive it started may already be over.
    void client.invalidateQueries({ queryKey: commandKey("attribute_mapping", { provider }) });
    void client.invalidateQueries({ queryKey: ["list_employees"] });
    // Up to where the re-derive's progress shows (Save is at the bottom of a long page).
    document.getElementById("main")?.scrollTo?.({ top: 0, behavior: "smooth" });
  };
  useEffect(() => onChanged(changed), [changed, onChanged]);

  const shared = sharedPaths(draft);

  const edit = (key: string, text: string) => {
    setDraft((d) => d.map((f) => (f.key === key ? { ...f, text } : f)));
    setErrors((e) => (e[key] ? { ...e, [key]: {} } : e));
    setFormError(null);
  };

  const refused = (e: unknown) => {
    // The core may see two paths as one attribute where this page did not (spelt differently):
    // its refusal then offers the same choice.
    setSharedRefused(/same SCIM attribute|allow fields to share/i.test(errorMessage(e)));
    const row = rowOfError(errorField(e), draft);
    if (row && draft.some((f) => f.key === row.key)) {
      setErrors({ [row.key]: { [row.part]: errorMessage(e) } });
      document.getElementById(`mapping-${row.key}-${row.part}`)?.focus();
    } else setFormError(errorMessage(e));
  };

  const save = async () => {
    setErrors({});
    setFormError(null);
    const email = draft.find((f) => f.required && pathOf(f.text) === null);
    if (email) {
      setErrors({ [email.key]: { path: `${email.label} must come from an attribute: every employee needs one.` } });
      return;
    }
    setBusy(true);
    try {
      const saved = await call("save_attribute_mapping", { provider, input: inputOf(draft, allowShared) });
      replace(saved);
      toast(`${words.name}'s mapping is saved. Updating employees' fields…`);
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const reset = async () => {
    try {
      const m = await call("reset_attribute_mapping", { provider });
      replace(m);
      setResetting(false);
      toast(`${words.name}'s mapping is back to the default. Updating employees' fields…`);
    } catch (e) {
      setResetting(false);
      setFormError(errorMessage(e));
    }
  };

  const builtIn = draft.filter((f) => !f.custom);
  const custom = draft.filter((f) => f.custom);

  const row = (f: DraftField) => {
    const err = errors[f.key] ?? {};
    const path = pathOf(f.text);
    const atDefault = !f.custom && path === f.default_path;
    const helpId = `mapping-${f.key}-help`;
    const errId = `mapping-${f.key}-error`;
    return (
      <tr key={f.key} data-testid="mapping-row" data-key={f.key} className={err.path || err.label ? "has-error" : undefined}>
        <th scope="row" className="mapping-field">
          <span className="mapping-label">{f.label}</span>
          {f.required && <span className="muted small">required</span>}
          {f.custom && (
            <span className="mapping-kind">
              <span className="chip chip-small">Custom</span> <span className="muted small">{kindLabel(f.kind)}</span>
            </span>
          )}
          {err.label && (
            <p className="field-error" role="alert" id={`mapping-${f.key}-label`} tabIndex={-1} data-testid="mapping-label-error">
              {err.label}
            </p>
          )}
        </th>
        <td className="mapping-source">
          <PathCombobox
            id={`mapping-${f.key}-path`}
            label={`${f.label}: SCIM attribute`}
            value={f.text}
            onChange={(t) => edit(f.key, t)}
            sources={sources}
            invalid={!!err.path}
            describedBy={err.path ? errId : f.custom ? undefined : helpId}
            placeholder={f.required ? "Required" : "Not mapped"}
            testid={`mapping-path-${f.key}`}
          />
          {err.path ? (
            <p className="field-error" role="alert" id={errId} data-testid="mapping-path-error">
              {err.path}
            </p>
          ) : (
            !f.custom &&
            !atDefault && (
              <p className="field-help" id={helpId}>
                Default: {f.default_path ? <span className="mono">{f.default_path}</span> : "not mapped"}
              </p>
            )
          )}
        </td>
        <td className="mapping-actions">
          {f.custom ? (
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => setRemoving(f)}
              aria-label={`Remove the field ${f.label}`}
              data-testid="mapping-remove"
            >
              <IconX />
              <span>Remove</span>
            </button>
          ) : atDefault ? (
            <span className="pill pill-default" data-testid="mapping-default">Default</span>
          ) : (
            <button
              type="button"
              className="button button-small"
              onClick={() => edit(f.key, f.default_path ?? "")}
              aria-label={`Restore default for ${f.label}`}
              data-testid="mapping-restore"
            >
              Restore default
            </button>
          )}
        </td>
      </tr>
    );
  };

  const table = (rows: DraftField[], caption: string) => (
    // Not in a scrolling .table-wrap: the attribute list opens over what follows.
    <div className="mapping-table-wrap">
      <table className="table mapping-table">
        <caption className="visually-hidden">{caption}</caption>
        <colgroup>
          <col className="mapping-col-field" />
          <col />
          <col className="mapping-col-actions" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Directory field</th>
            <th scope="col">Comes from (SCIM attribute)</th>
            <th scope="col"><span className="visually-hidden">Default</span></th>
          </tr>
        </thead>
        <tbody>{rows.map(row)}</tbody>
      </table>
    </div>
  );

  return (
    <>
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      noValidate
      className="mapping-form"
      data-testid="mapping-form"
    >
      <section className="card" aria-labelledby="mapping-fields-title">
        <div className="card-head">
          <div className="card-head-title">
            <h2 id="mapping-fields-title" className="card-title">Directory fields</h2>
            {mapping.is_default && !changed && <span className="pill pill-default" data-testid="mapping-is-default">Default mapping</span>}
          </div>
        </div>
        <p className="card-lede">
          Pick an attribute {words.name} has sent (a few of its values are shown), or type any SCIM attribute path, such as{" "}
          <span className="mono">title</span> or <span className="mono">urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter</span>.
        </p>
        {table(builtIn, "Directory fields")}
      </section>

      <section className="card" aria-labelledby="mapping-custom-title" data-testid="mapping-custom">
        <div className="card-head">
          <div className="card-head-title">
            <h2 id="mapping-custom-title" className="card-title">Custom fields</h2>
          </div>
          <button type="button" className="button button-small" onClick={() => setAdding(true)} data-testid="mapping-add">
            <IconPlus />
            <span>Add custom field</span>
          </button>
        </div>
        {custom.length === 0 ? (
          <p className="muted">
            No custom fields yet. Add one to keep another attribute {words.name} sends, such as a cost center: it gets a column in
            Employees, a line on each employee's page, and is searched and exported.
          </p>
        ) : (
          <>
            <p className="card-lede">Custom fields are shared by every identity provider; each provider fills them from its own attribute.</p>
            {table(custom, "Custom fields")}
          </>
        )}
      </section>

      {(shared.length > 0 || sharedRefused || allowShared) && (
        <div className="callout callout-warning mapping-shared" data-testid="mapping-shared">
          <p>
            {shared.length === 0 && "Two fields come from the same SCIM attribute."}
            {shared.map((g, i) => (
              <span key={i}>
                {i > 0 && " "}
                {g.map((f) => f.label).join(" and ")} both come from <span className="mono">{pathOf(g[0].text)}</span>.
              </span>
            ))}{" "}
            Usually each field has its own attribute.
          </p>
          <label className="checkbox">
            <input type="checkbox" checked={allowShared} onChange={(e) => setAllowShared(e.target.checked)} data-testid="mapping-allow-shared" />
            <span>Allow two fields from one attribute</span>
          </label>
        </div>
      )}

      {formError && (
        <p className="field-error form-error" role="alert" data-testid="mapping-form-error">
          {formError}
        </p>
      )}
      <div className="form-actions mapping-actions-bar">
        <button type="button" className="button" onClick={() => setResetting(true)} disabled={busy || (mapping.is_default && !changed)} data-testid="mapping-reset">
          Reset to default
        </button>
        <div className="toolbar-spacer" />
        {changed && (
          <>
            <span className="muted small" data-testid="mapping-unsaved">Unsaved changes</span>
            <button type="button" className="button" onClick={() => replace(shown)} disabled={busy} data-testid="mapping-discard">
              Discard
            </button>
          </>
        )}
        <button type="submit" className="button button-primary" disabled={busy || !changed} data-testid="mapping-save">
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
    </form>

      {adding && (
        <AddFieldDialog
          draft={draft}
          sources={sources}
          provider={provider}
          onClose={() => setAdding(false)}
          onAdd={(f) => {
            setDraft((d) => [...d, f]);
            setAdding(false);
            // The new row, below the fold on a long page.
            requestAnimationFrame(() => scrollToMiddle(document.getElementById(`mapping-${f.key}-path`)));
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the field "${removing.label}"?`}
          confirmLabel="Remove field"
          danger
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            setDraft((d) => d.filter((f) => f.key !== removing.key));
            setRemoving(null);
          }}
          testid="mapping-remove-dialog"
          confirmTestid="mapping-remove-confirm"
        >
          <p>
            Custom fields are shared by every identity provider. Once you save, {removing.label} is removed for Okta and Microsoft Entra ID
            alike: its column in Employees and the values kept for it go.
          </p>
        </ConfirmDialog>
      )}
      {resetting && (
        <ConfirmDialog
          title={`Reset ${words.name}'s mapping to the default?`}
          confirmLabel="Reset to default"
          onCancel={() => setResetting(false)}
          onConfirm={reset}
          testid="mapping-reset-dialog"
          confirmTestid="mapping-reset-confirm"
        >
          <p>
            Every directory field goes back to the attribute it comes from by default, and custom fields are no longer filled from{" "}
            {words.name} (one no provider fills any more is removed). Employees' fields are then updated from what {words.name} already sent.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function AddFieldDialog({
  draft,
  sources,
  provider,
  onClose,
  onAdd,
}: {
  draft: DraftField[];
  sources: SeenAttribute[];
  provider: Provider;
  onClose: () => void;
  onAdd: (f: DraftField) => void;
}) {
  const [label, setLabel] = useState("");
  const [kind, setKind] = useState<FieldKind>("text");
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const key = keyFromLabel(label);

  const add = () => {
    const why = checkNewField(label, draft);
    setError(why);
    if (why) return;
    onAdd({ key, label: label.trim(), kind, custom: true, path: null, default_path: null, required: false, text: path.trim() });
  };

  return (
    <Dialog
      title="Add a custom field"
      onClose={onClose}
      onSubmit={add}
      testid="mapping-add-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="button button-primary" data-testid="mapping-add-confirm">Add field</button>
        </>
      }
    >
      <p className="dialog-lede">The field is added to every provider's mapping; it is kept once you save the mapping.</p>
      <div className="field">
        <label className="field-label" htmlFor={`${ids}-label`}>Name</label>
        <input
          id={`${ids}-label`}
          className="input"
          value={label}
          onChange={(e) => {
            setLabel(e.target.value);
            setError(null);
          }}
          aria-invalid={!!error}
          aria-describedby={`${ids}-label-help`}
          placeholder="Cost center"
          data-autofocus=""
          data-testid="mapping-new-label"
        />
        {error ? (
          <p className="field-error" role="alert" id={`${ids}-label-help`} data-testid="mapping-new-error">{error}</p>
        ) : (
          <p className="field-help" id={`${ids}-label-help`}>
            As it appears in Employees.{key && <> Stored as <span className="mono">{key}</span>.</>}
          </p>
        )}
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${ids}-kind`}>Type</label>
        <select id={`${ids}-kind`} className="select" value={kind} onChange={(e) => setKind(e.target.value as FieldKind)} data-testid="mapping-new-kind">
          {FIELD_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>{k.label}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${ids}-path`}>Comes from ({PROVIDER_WORDS[provider].name}'s SCIM attribute)</label>
        <PathCombobox id={`${ids}-path`} label="SCIM attribute" value={path} onChange={setPath} sources={sources} testid="mapping-new-path" />
      </div>
    </Dialog>
  );
}

function ExportDialog({ provider, onClose }: { provider: Provider; onClose: () => void }) {
  const words = PROVIDER_WORDS[provider];
  const [json, setJson] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call("export_attribute_mapping", { provider }).then(setJson, (e) => setError(errorMessage(e)));
  }, [provider]);
  return (
    <Dialog
      title={`${words.name}'s mapping as JSON`}
      onClose={onClose}
      size="large"
      testid="mapping-export-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>Close</button>
          {json !== null && <CopyButton text={json} label="Copy the mapping" what="Mapping" testid="mapping-export-copy" />}
        </>
      }
    >
      <p className="dialog-lede">
        Copy it and keep it as a file. Import JSON on this page reads it back, here or on another computer (so does{" "}
        <span className="mono">scimdesk mapping set --file</span>).
      </p>
      {error ? (
        <p className="field-error" role="alert">{error}</p>
      ) : (
        <textarea className="input mono-input mapping-json" readOnly rows={14} value={json ?? "…"} aria-label="Mapping as JSON" data-testid="mapping-export-json" />
      )}
    </Dialog>
  );
}

function ImportDialog({
  provider,
  unsaved,
  onClose,
  onImported,
}: {
  provider: Provider;
  unsaved: boolean;
  onClose: () => void;
  onImported: (m: AttributeMapping) => void;
}) {
  const words = PROVIDER_WORDS[provider];
  const { toast } = useToast();
  const [json, setJson] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();

  const readFile = async (e: InputChange<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    try {
      setJson(await file.text());
      setError(null);
    } catch (err) {
      setError(`Couldn't read ${file.name}: ${errorMessage(err)}`);
    }
  };

  const doImport = async () => {
    if (json.trim() === "") {
      setError("Paste the mapping's JSON, or choose a file.");
      return;
    }
    setBusy(true);
    try {
      const m = await call("import_attribute_mapping", { provider, json });
      toast(`Imported ${words.name}'s mapping. Updating employees' fields…`);
      onImported(m);
    } catch (err) {
      const field = errorField(err);
      const where = field && field !== "json" ? rowOfError(field) : null;
      setError(where ? `${errorMessage(err)} (field ${where.key})` : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Import ${words.name}'s mapping`}
      onClose={onClose}
      onSubmit={() => void doImport()}
      size="large"
      busy={busy}
      testid="mapping-import-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy}>Cancel</button>
          <button type="submit" className="button button-primary" disabled={busy} data-testid="mapping-import-confirm">
            {busy ? "Importing…" : "Import and save"}
          </button>
        </>
      }
    >
      <p className="dialog-lede">
        Paste the JSON that Export JSON gave, or choose its file. It is checked first; if it is refused, nothing changes.
        {unsaved && " Your unsaved changes on this page are replaced."}
      </p>
      <div className={`field${error ? " has-error" : ""}`}>
        <label className="field-label" htmlFor={`${ids}-json`}>Mapping (JSON)</label>
        <textarea
          id={`${ids}-json`}
          className="input mono-input mapping-json"
          rows={12}
          value={json}
          spellCheck={false}
          onChange={(e) => {
            setJson(e.target.value);
            setError(null);
          }}
          aria-invalid={!!error}
          aria-describedby={error ? `${ids}-error` : undefined}
          data-autofocus=""
          data-testid="mapping-import-json"
        />
        {error && (
          <p className="field-error" role="alert" id={`${ids}-error`} data-testid="mapping-import-error">
            <IconAlert /> {error}
          </p>
        )}
      </div>
      <label className="button button-small file-button">
        <input type="file" accept=".json,application/json" className="visually-hidden" onChange={(e) => void readFile(e)} data-testid="mapping-import-file" />
        <span>Choose file…</span>
      </label>
    </Dialog>
  );
}

/** Scrolls the page's content (only it: scrollIntoView would move the whole window too) so that
 *  `el` is in its middle. */
function scrollToMiddle(el: HTMLElement | null) {
  const main = document.getElementById("main");
  if (!el || !main?.scrollTo) return;
  const top = main.scrollTop + el.getBoundingClientRect().top - main.getBoundingClientRect().top - main.clientHeight / 2;
  main.scrollTo({ top: Math.max(0, top), behavior: "smooth" });
}
