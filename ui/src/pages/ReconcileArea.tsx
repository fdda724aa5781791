// "Reconcile with Okta" on a connection's card: set up the Okta API access (org URL, app, a
// read-only token kept in the keychain), run a dry run with its progress and Cancel, read the
// report (counts first, then the rows of each kind a page at a time), and apply the rows chosen
// or all of them behind a confirmation that says what will change. Nothing changes without Apply.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  call,
  type ConnectionView,
  type OktaApiSetup,
  type ReconcileReportSummary,
  type ReconcileRow,
  type ReconcileRowKind,
  type ReconcileSchedule,
  type ReconcileState,
} from "../api";
import { Field, ProgressBar, Time } from "../components/bits";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { IconPlay } from "../components/Icons";
import { useToast } from "../components/Toasts";
import { errorField, errorMessage } from "../lib/errors";
import { formatCount, pageRange, plural } from "../lib/format";
import { command, commandKey } from "../lib/queries";
import {
  KIND_HELP,
  KIND_TITLE,
  KINDS,
  SCHEDULE_TEXT,
  TRIGGER_TEXT,
  applyPlan,
  appliedText,
  fieldName,
  lastRunText,
  progressFraction,
  progressText,
  totalRows,
} from "../lib/reconcileWords";

/** Rows shown a page at a time, so that a report of thousands stays light. */
export const ROWS_PER_PAGE = 50;

export function ReconcileArea({ connection: c }: { connection: ConnectionView }) {
  const client = useQueryClient();
  const { data: state, error } = useQuery(command("reconcile_state", { connectionId: c.id }));
  const [dialog, setDialog] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const { toast } = useToast();
  const headingId = `reconcile-${c.id}-title`;

  const put = (s: ReconcileState) => client.setQueryData(commandKey("reconcile_state", { connectionId: c.id }), s);
  const act = async (what: () => Promise<ReconcileState | void>) => {
    setBusy(true);
    setActionError(null);
    try {
      const s = await what();
      if (s) put(s);
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const running = state?.running ?? null;
  const setup = state?.setup ?? null;

  return (
    <section className="reconcile" aria-labelledby={headingId} data-testid="reconcile-area" data-connection-id={c.id}>
      <header className="reconcile-head">
        <div>
          <h4 id={headingId} className="reconcile-title">
            Reconcile with Okta
          </h4>
          <p className="muted small">
            Compares the app's assignments in Okta with the directory, for pushes that never arrived. A dry run: nothing changes until you apply.
          </p>
        </div>
        <div className="reconcile-actions">
          {setup ? (
            <>
              <button type="button" className="button button-small" onClick={() => setDialog(true)} disabled={busy} data-testid="change-okta-api">
                Change API access
              </button>
              <button type="button" className="button button-small button-ghost" onClick={() => setConfirmRemove(true)} disabled={busy || !!running} data-testid="remove-okta-api">
                Remove
              </button>
            </>
          ) : (
            <button type="button" className="button button-small" onClick={() => setDialog(true)} data-testid="setup-okta-api">
              Set up API access
            </button>
          )}
        </div>
      </header>

      {error && <p className="field-error" role="alert">{errorMessage(error)}</p>}

      {setup && (
        <p className="reconcile-setup small" data-testid="okta-api-setup">
          <span className="mono">{setup.org_url}</span>
          <span aria-hidden="true"> · </span>
          app {setup.app_label ? <strong>{setup.app_label}</strong> : null} <span className="mono">{setup.app_id}</span>
        </p>
      )}

      {setup && !running && (
        <div className="reconcile-run">
          <button
            type="button"
            className="button button-primary"
            onClick={() => act(() => call("start_reconcile", { connectionId: c.id }))}
            disabled={busy || !!state?.busy_with}
            data-testid="run-reconcile"
          >
            <IconPlay />
            <span>Run reconcile</span>
          </button>
          {state?.busy_with && <span className="muted small">A reconcile of "{state.busy_with}" is running: one at a time.</span>}
          {state?.last_run && (
            <span className={`small last-reconciled outcome-${state.last_run.outcome}`} data-testid="last-reconciled">
              Last reconciled <Time iso={state.last_run.finished_at} /> ({TRIGGER_TEXT[state.last_run.trigger]}): {lastRunText(state.last_run)}
            </span>
          )}
        </div>
      )}

      {setup && <ScheduleChoice connectionId={c.id} />}

      {running && (
        <div className="reconcile-progress" data-testid="reconcile-progress" aria-live="polite">
          <ProgressBar fraction={progressFraction(running.progress)} label={`Reconcile of ${c.name}`} />
          <p className="small">{progressText(running.progress)}</p>
          <button
            type="button"
            className="button button-small"
            onClick={() => act(() => call("cancel_reconcile", { connectionId: c.id }))}
            disabled={busy || running.progress.applying}
            data-testid="cancel-reconcile"
          >
            Cancel
          </button>
        </div>
      )}

      {actionError && (
        <p className="field-error" role="alert" data-testid="reconcile-error">
          {actionError}
        </p>
      )}

      {state?.report && !running && <Report connection={c} report={state.report} onApplied={put} />}

      {dialog && (
        <OktaApiDialog
          connection={c}
          setup={setup}
          onClose={() => setDialog(false)}
          onSaved={(s) => {
            setDialog(false);
            if (state) put({ ...state, setup: s });
            toast(`Okta API access set up for "${c.name}". Run a reconcile to compare.`);
          }}
        />
      )}

      {confirmRemove && (
        <ConfirmDialog
          title={`Remove the Okta API access of ${c.name}?`}
          confirmLabel="Remove"
          danger
          onCancel={() => setConfirmRemove(false)}
          onConfirm={async () => {
            await act(async () => {
              await call("clear_okta_api", { connectionId: c.id });
              if (state) put({ ...state, setup: null });
            });
            setConfirmRemove(false);
          }}
          testid="remove-okta-api-dialog"
          confirmTestid="confirm-remove-okta-api"
        >
          <p>The org URL and app are forgotten and the API token is taken out of the keychain. Okta's pushes are not affected.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** How often SCIM Desk reconciles by itself: one setting for every connection with API access. */
function ScheduleChoice({ connectionId }: { connectionId: string }) {
  const client = useQueryClient();
  const { data: schedule } = useQuery(command("reconcile_schedule"));
  const [error, setError] = useState<string | null>(null);
  const id = `reconcile-schedule-${connectionId}`;
  const choose = async (value: ReconcileSchedule) => {
    setError(null);
    try {
      client.setQueryData(commandKey("reconcile_schedule"), await call("set_reconcile_schedule", { schedule: value }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div className="reconcile-schedule small">
      <label htmlFor={id}>Reconcile by itself (a dry run, for every connection with API access)</label>
      <select id={id} className="input" value={schedule ?? "daily"} onChange={(e) => void choose(e.target.value as ReconcileSchedule)} data-testid="reconcile-schedule">
        {(Object.keys(SCHEDULE_TEXT) as ReconcileSchedule[]).map((k) => (
          <option key={k} value={k}>
            {SCHEDULE_TEXT[k]}
          </option>
        ))}
      </select>
      <span className="muted">Also after a time Okta couldn't reach SCIM Desk.</span>
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}

type Selection = ReadonlyMap<string, ReconcileRowKind>;

function Report({ connection: c, report, onApplied }: { connection: ConnectionView; report: ReconcileReportSummary; onApplied: (s: ReconcileState) => void }) {
  const [selected, setSelected] = useState<Selection>(new Map());
  const [confirm, setConfirm] = useState<"selected" | "all" | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const { toast } = useToast();
  const counts = report.counts;
  const total = totalRows(counts);

  const toggle = (rows: readonly ReconcileRow[], on: boolean) =>
    setSelected((s) => {
      const next = new Map(s);
      for (const r of rows) {
        if (on) next.set(r.key, r.kind);
        else next.delete(r.key);
      }
      return next;
    });

  const plan =
    confirm === "all"
      ? { created: counts.missing_here, updated: counts.stale_here, deactivated: counts.should_be_deactivated + counts.unknown_to_okta }
      : {
          created: [...selected.values()].filter((k) => k === "missing_here").length,
          updated: [...selected.values()].filter((k) => k === "stale_here").length,
          deactivated: [...selected.values()].filter((k) => k === "should_be_deactivated" || k === "unknown_to_okta").length,
        };

  const apply = async () => {
    const keys = confirm === "all" ? null : [...selected.keys()];
    const s = await call("apply_reconcile", { connectionId: c.id, keys });
    setSelected(new Map());
    setConfirm(null);
    onApplied(s);
  };

  const exportCsv = async () => {
    setExportError(null);
    try {
      const path = await call("choose_export_file", { suggestedName: `reconcile-${c.name}.csv` });
      if (!path) return;
      const n = await call("export_reconcile", { connectionId: c.id, path });
      toast(`Exported ${plural(n, "row")} to ${path}.`);
    } catch (e) {
      setExportError(errorMessage(e));
    }
  };

  return (
    <div className="reconcile-report" data-testid="reconcile-report">
      {report.applied && (
        <p className={`reconcile-result${report.applied.failed.length ? " has-failures" : ""}`} role="status" data-testid="reconcile-result">
          {appliedText(report.applied)} Run the reconcile again to check.
        </p>
      )}
      <p className="small muted">
        {report.dry_run
          ? `Compared ${plural(report.okta_users, "app user")} from Okta with the directory. Nothing was changed.`
          : `Okta's ${plural(report.okta_users, "app user")} were read again just before applying; the counts below are what differed then.`}
      </p>
      <dl className="reconcile-counts" data-testid="reconcile-counts">
        {KINDS.map((k) => (
          <div key={k} className={`reconcile-count${counts[k] ? " has-rows" : ""}`} data-testid={`reconcile-count-${k}`}>
            <dt>{KIND_TITLE[k]}</dt>
            <dd>{formatCount(counts[k])}</dd>
          </div>
        ))}
      </dl>
      {total === 0 && report.dry_run && (
        <p className="reconcile-in-step" data-testid="reconcile-in-step">
          The directory is in step with Okta.
        </p>
      )}
      {total > 0 && report.dry_run && (
        <>
          {KINDS.filter((k) => counts[k] > 0).map((k) => (
            <RowsSection key={k} connectionId={c.id} kind={k} total={counts[k]} selected={selected} onToggle={toggle} />
          ))}
          <div className="reconcile-apply">
            <button type="button" className="button button-primary" disabled={selected.size === 0} onClick={() => setConfirm("selected")} data-testid="apply-selected">
              Apply selected ({formatCount(selected.size)})
            </button>
            <button type="button" className="button" onClick={() => setConfirm("all")} data-testid="apply-all">
              Apply all
            </button>
            <button type="button" className="button button-ghost" onClick={exportCsv} data-testid="export-reconcile">
              Export CSV
            </button>
          </div>
        </>
      )}
      {exportError && <p className="field-error" role="alert">{exportError}</p>}
      {confirm && (
        <ConfirmDialog
          title={confirm === "all" ? "Apply every row of the report?" : `Apply ${plural(selected.size, "selected row")}?`}
          confirmLabel="Apply"
          onCancel={() => setConfirm(null)}
          onConfirm={apply}
          testid="apply-dialog"
          confirmTestid="confirm-apply"
          cancelTestid="cancel-apply"
        >
          <p data-testid="apply-plan">
            SCIM Desk reads Okta again, then will {applyPlan(plan.created, plan.updated, plan.deactivated)} to match Okta. Nobody is deleted.
          </p>
          <p className="muted">A row already in step by then is left as it is. Each change is a line of the activity log ("Reconciled from Okta").</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function RowsSection({
  connectionId,
  kind,
  total,
  selected,
  onToggle,
}: {
  connectionId: string;
  kind: ReconcileRowKind;
  total: number;
  selected: Selection;
  onToggle: (rows: readonly ReconcileRow[], on: boolean) => void;
}) {
  const [offset, setOffset] = useState(0);
  const { data: page } = useQuery(command("reconcile_rows", { connectionId, query: { kind, offset, limit: ROWS_PER_PAGE } }));
  const rows = page?.rows ?? [];
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.key));
  const titleId = `rows-${connectionId}-${kind}`;
  return (
    <section className="reconcile-rows" aria-labelledby={titleId} data-testid={`reconcile-rows-${kind}`}>
      <header className="reconcile-rows-head">
        <h5 id={titleId}>
          {KIND_TITLE[kind]} <span className="muted">({formatCount(total)})</span>
        </h5>
        <p className="small muted">{KIND_HELP[kind]}</p>
      </header>
      <table className="table reconcile-table">
        <thead>
          <tr>
            <th scope="col" className="col-check">
              <input
                type="checkbox"
                checked={allOnPage}
                onChange={(e) => onToggle(rows, e.target.checked)}
                aria-label={`Select all ${KIND_TITLE[kind].toLowerCase()} rows shown`}
                data-testid={`select-all-${kind}`}
              />
            </th>
            <th scope="col">Employee</th>
            {kind === "stale_here" ? (
              <>
                <th scope="col">Field</th>
                <th scope="col">Here</th>
                <th scope="col">In Okta</th>
              </>
            ) : (
              <th scope="col">{kind === "unknown_to_okta" ? "Employee ID" : "Status in Okta"}</th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const who = r.user_name ?? r.email ?? r.okta_user_id ?? r.key;
            return (
              <tr key={`${r.key}-${r.field ?? ""}-${i}`} data-testid="reconcile-row" data-key={r.key}>
                <td className="col-check">
                  <input type="checkbox" checked={selected.has(r.key)} onChange={(e) => onToggle([r], e.target.checked)} aria-label={`Select ${who}${r.field ? ` (${fieldName(r.field)})` : ""}`} />
                </td>
                <td>{who}</td>
                {kind === "stale_here" ? (
                  <>
                    <td>{fieldName(r.field)}</td>
                    <td className="mono">{r.ours ?? <span className="muted">empty</span>}</td>
                    <td className="mono">{r.okta ?? <span className="muted">empty</span>}</td>
                  </>
                ) : (
                  <td className="mono">{kind === "unknown_to_okta" ? r.employee_id : (r.okta_status ?? "")}</td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {total > ROWS_PER_PAGE && (
        <div className="pager small">
          <span>{pageRange(offset, rows.length, total)}</span>
          <button type="button" className="button button-small" disabled={offset === 0} onClick={() => setOffset(Math.max(offset - ROWS_PER_PAGE, 0))} aria-label={`Previous ${KIND_TITLE[kind].toLowerCase()} rows`}>
            Previous
          </button>
          <button type="button" className="button button-small" disabled={offset + ROWS_PER_PAGE >= total} onClick={() => setOffset(offset + ROWS_PER_PAGE)} aria-label={`Next ${KIND_TITLE[kind].toLowerCase()} rows`}>
            Next
          </button>
        </div>
      )}
    </section>
  );
}

export function OktaApiDialog({
  connection: c,
  setup,
  onClose,
  onSaved,
}: {
  connection: ConnectionView;
  setup: OktaApiSetup | null;
  onClose: () => void;
  onSaved: (s: OktaApiSetup) => void;
}) {
  const [orgUrl, setOrgUrl] = useState(setup?.org_url ?? "");
  const [appId, setAppId] = useState(setup?.app_id ?? "");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<{ field: string | null; message: string } | null>(null);

  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      onSaved(await call("set_okta_api", { connectionId: c.id, input: { org_url: orgUrl, app_id: appId, token } }));
    } catch (e) {
      setErr({ field: errorField(e), message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };
  const on = (field: string) => (err?.field === field ? err.message : null);

  return (
    <Dialog
      title={`Okta API access for ${c.name}`}
      onClose={onClose}
      onSubmit={save}
      busy={busy}
      testid="okta-api-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy} data-testid="okta-api-save">
            {busy ? "Checking with Okta…" : "Check and save"}
          </button>
        </>
      }
    >
      {c.token_kept ? (
        <p className="muted small">SCIM Desk reads the app from Okta to check these. The token is kept in the system keychain, never in the data directory.</p>
      ) : (
        <p className="muted small" data-testid="okta-token-server-mode">
          SCIM Desk reads the app from Okta to check these. It runs in server mode: the API token comes from the server's secrets (an environment
          variable or a file, which the server's administrator sets) and is never stored.
        </p>
      )}
      <Field label="Org URL" help="The address of your Okta org, like https://acme.okta.com." error={on("org_url")} errorTestid="okta-org-url-error">
        {({ id, describedBy, invalid }) => (
          <input id={id} className="input" value={orgUrl} onChange={(e) => setOrgUrl(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} placeholder="https://acme.okta.com" data-testid="okta-org-url" data-autofocus="" />
        )}
      </Field>
      <Field label="App" help="The app's id (0oa…), or paste the address of the app's page in the Okta admin console." error={on("app_id")} errorTestid="okta-app-id-error">
        {({ id, describedBy, invalid }) => (
          <input id={id} className="input" value={appId} onChange={(e) => setAppId(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} data-testid="okta-app-id" />
        )}
      </Field>
      {c.token_kept && (
      <Field
        label="API token"
        help={setup ? "Paste the token again to change the setup (Security › API › Tokens; a read-only administrator's is enough)." : "Make it in Okta under Security › API › Tokens; a read-only administrator's is enough."}
        error={on("token")}
        errorTestid="okta-token-error"
      >
        {({ id, describedBy, invalid }) => (
          <input id={id} className="input mono" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} data-testid="okta-token" />
        )}
      </Field>
      )}
      {err && !err.field && (
        <p className="field-error" role="alert" data-testid="okta-api-error">
          {err.message}
        </p>
      )}
    </Dialog>
  );
}
