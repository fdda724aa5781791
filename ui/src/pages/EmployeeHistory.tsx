// The employee page's History: every change to the employee, newest first, as the core recorded
// it (one event per request or run: when, which connection and provider, where it came from, and
// "Field: before → after"), paged with "Load older"; and an "As of…" view of the employee's
// fields at a past time, read-only and marked as such.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { call, type EmployeeAsOf, type HistoryChange, type HistoryEvent } from "../api";
import { Time } from "../components/bits";
import { errorMessage } from "../lib/errors";
import { absoluteTime } from "../lib/format";
import { providerName } from "../lib/providers";
import { command } from "../lib/queries";

export function HistorySection({ id }: { id: string }) {
  // Under the command's name, so that the invalidation table's `employee_history` reaches it.
  const history = useInfiniteQuery({
    queryKey: ["employee_history", { id }],
    queryFn: ({ pageParam }) => call("employee_history", { id, before: pageParam }),
    initialPageParam: null as number | null,
    getNextPageParam: (page) => page.next_before,
  });
  const [asOf, setAsOf] = useState<string | null>(null);
  const events = history.data?.pages.flatMap((p) => p.events) ?? [];
  const keptSince = history.data?.pages[0]?.kept_since;

  return (
    <section className="card" aria-labelledby="history-title" data-testid="detail-history">
      <div className="card-head">
        <h2 id="history-title" className="card-title">History</h2>
      </div>
      <AsOfControl shown={asOf} onShow={setAsOf} />
      {asOf !== null && <AsOfView id={id} at={asOf} onBack={() => setAsOf(null)} />}
      {history.error && !history.data ? (
        <p role="alert" className="field-error">{errorMessage(history.error)}</p>
      ) : !history.data ? (
        <p className="muted">Loading…</p>
      ) : events.length === 0 ? (
        <p className="muted">No changes recorded yet.</p>
      ) : (
        <ol className="timeline" aria-label="Changes, newest first">
          {events.map((e) => (
            <HistoryItem key={e.seq} event={e} />
          ))}
        </ol>
      )}
      {history.hasNextPage ? (
        <button
          type="button"
          className="button"
          onClick={() => void history.fetchNextPage()}
          disabled={history.isFetchingNextPage}
          data-testid="history-older"
        >
          {history.isFetchingNextPage ? "Loading…" : "Load older"}
        </button>
      ) : (
        history.data &&
        keptSince && (
          <p className="muted small" data-testid="history-kept-since">
            Changes are kept since {absoluteTime(keptSince)}, as long as the activity log.
          </p>
        )
      )}
    </section>
  );
}

/** Where a change came from, in the admin's words: "Okta push", "Reconcile with Okta". */
export function sourceText(e: Pick<HistoryEvent, "source" | "provider" | "method">): string {
  const idp = e.provider ? providerName(e.provider) : "Identity provider";
  switch (e.source) {
    case "push":
      return `${idp} push`;
    case "reconcile":
      return `Reconcile with ${idp}`;
    case "mapping":
      return "Mapping change";
    default:
      return e.method === "IMPORT" ? "Import" : e.method;
  }
}

function HistoryItem({ event: e }: { event: HistoryEvent }) {
  return (
    <li className="timeline-item" data-testid="history-event">
      <div className="timeline-head">
        <Time iso={e.at} className="timeline-time" />
        <span className="timeline-source">
          {sourceText(e)}
          {e.connection_name && <span className="muted"> · {e.connection_name}</span>}
        </span>
      </div>
      <p className="timeline-summary muted small">{e.summary}</p>
      <ul className="timeline-changes">
        {e.changes.map((c, i) => (
          <li key={`${c.field}-${i}`} data-testid="history-change">
            <ChangeLine change={c} />
          </li>
        ))}
      </ul>
    </li>
  );
}

/** "Job title: Engineer → Senior Engineer"; a group joined or left is worded as such. */
export function changeText(c: Pick<HistoryChange, "field" | "label" | "before" | "after">): string {
  if (c.field === "groups") {
    if (c.after !== null && c.before === null) return `Added to group ${c.after}`;
    if (c.before !== null && c.after === null) return `Removed from group ${c.before}`;
  }
  return `${c.label}: ${shown(c.before, c.field)} → ${shown(c.after, c.field)}`;
}

function shown(v: string | null, field?: string): string {
  if (v === null || v === "") return "—";
  return field === "status" ? (STATUS_WORDS[v] ?? v) : v;
}

/** A status as the Employees page words it. */
const STATUS_WORDS: Record<string, string> = { active: "Active", deactivated: "Deactivated", removed: "Removed" };

function ChangeLine({ change: c }: { change: HistoryChange }) {
  if (c.field === "groups" && (c.before === null) !== (c.after === null)) {
    return <span>{changeText(c)}</span>;
  }
  return (
    <span>
      <span className="timeline-label">{c.label}:</span> <span className="timeline-before">{shown(c.before, c.field)}</span>
      {" → "}
      <span className="timeline-after">{shown(c.after, c.field)}</span>
    </span>
  );
}

/** The date-time the admin picks (local time, from the input) as RFC 3339 for the core. */
export function localInputToIso(value: string): string | null {
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

function AsOfControl({ shown, onShow }: { shown: string | null; onShow: (at: string | null) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const at = localInputToIso(value);
    if (!at) {
      setError("Choose a date and time.");
      return;
    }
    setError(null);
    onShow(at);
  };
  return (
    <form className="asof-form" onSubmit={submit} aria-label="Show the employee as of a past time">
      <label htmlFor="asof-input" className="asof-label">As of…</label>
      <input
        id="asof-input"
        type="datetime-local"
        className="input asof-input"
        value={value}
        step={1}
        onChange={(e) => setValue(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "asof-error" : undefined}
        data-testid="asof-input"
      />
      <button type="submit" className="button" data-testid="asof-show">Show</button>
      {shown !== null && (
        <button type="button" className="button" onClick={() => onShow(null)} data-testid="asof-back-top">
          Back to now
        </button>
      )}
      {error && (
        <p id="asof-error" className="field-error" role="alert">{error}</p>
      )}
    </form>
  );
}

function AsOfView({ id, at, onBack }: { id: string; at: string; onBack: () => void }) {
  const load = useQuery(command("employee_as_of", { id, at }));
  const then = load.data;
  return (
    <div className="asof-view" role="region" aria-labelledby="asof-title" data-testid="asof-view">
      <div className="asof-head">
        <h3 id="asof-title" className="asof-title">
          Past view: as of <time dateTime={at}>{absoluteTime(at)}</time>
        </h3>
        <button type="button" className="button" onClick={onBack} data-testid="asof-back">Back to now</button>
      </div>
      {load.error ? (
        <p role="alert" className="field-error">{errorMessage(load.error)}</p>
      ) : !then ? (
        <p className="muted">Loading…</p>
      ) : (
        <AsOfBody then={then} />
      )}
    </div>
  );
}

function AsOfBody({ then }: { then: EmployeeAsOf }) {
  if (then.state === "not_yet") {
    return (
      <p data-testid="asof-note">
        Not in the directory yet at that time: this employee arrived {absoluteTime(then.created_at)}.
      </p>
    );
  }
  if (then.state === "before_history") {
    return (
      <p data-testid="asof-note">
        That is before the history kept: changes are kept since {absoluteTime(then.kept_since)} (the activity log's retention).
      </p>
    );
  }
  return (
    <>
      <p className="muted small">Read-only: the directory's fields as they were then.</p>
      <dl className="fields" data-testid="asof-fields">
        {then.fields.map((f) => (
          <div key={f.field} className="fields-row">
            <dt>{f.label}</dt>
            <dd>{f.value === null || f.value === "" ? <span className="muted">—</span> : shown(f.value, f.field)}</dd>
          </div>
        ))}
        <div className="fields-row">
          <dt>Groups</dt>
          <dd>{then.groups.length === 0 ? <span className="muted">—</span> : then.groups.join(", ")}</dd>
        </div>
      </dl>
    </>
  );
}
