// One Okta connection: its base URL and token to copy into Okta, when Okta last called, a
// rehearsal of Okta's own test, and Delete behind the overflow menu.
import { useEffect, useRef, useState } from "react";
import { call, type ConnectionView, type LastContact, type RefusedRequests, type Rehearsal } from "../api";
import { CopyButton, Time } from "../components/bits";
import { ConfirmDialog } from "../components/Dialog";
import { IconCheck, IconEye, IconEyeOff, IconMinus, IconMore, IconPlay, IconTrash, IconX } from "../components/Icons";
import { Menu } from "../components/Menu";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { absoluteTime, maskToken } from "../lib/format";
import { rehearsalNoteText } from "../lib/words";
import { ReconcileArea } from "./ReconcileArea";

type Props = {
  connection: ConnectionView;
  highlighted: boolean;
  onDeleted: (c: ConnectionView) => void;
};

export function ConnectionCard({ connection: c, highlighted, onDeleted }: Props) {
  const [token, setToken] = useState<string | null>(null);
  const [revealing, setRevealing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [rehearsal, setRehearsal] = useState<RehearsalState>(null);
  const { toast } = useToast();
  const root = useRef<HTMLElement>(null);

  useEffect(() => {
    if (highlighted) root.current?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [highlighted]);

  const toggleToken = async () => {
    if (token !== null) {
      setToken(null);
      return;
    }
    setRevealing(true);
    try {
      setToken(await call("connection_token", { id: c.id }));
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setRevealing(false);
    }
  };

  const rehearse = async () => {
    setRehearsal({ running: true });
    try {
      setRehearsal({ running: false, result: await call("rehearse_connection", { id: c.id }) });
    } catch (e) {
      setRehearsal({ running: false, error: errorMessage(e) });
    }
  };

  const del = async () => {
    try {
      await call("delete_connection", { id: c.id });
      setConfirmDelete(false);
      onDeleted(c);
    } catch (e) {
      setConfirmDelete(false);
      toast(errorMessage(e), "error");
    }
  };

  const titleId = `conn-${c.id}-title`;
  return (
    <article
      ref={root}
      className={`connection${highlighted ? " is-new" : ""}`}
      data-testid="connection-row"
      data-connection-id={c.id}
      data-connection-name={c.name}
      aria-labelledby={titleId}
    >
      <header className="connection-head">
        <div className="connection-heading">
          <h3 id={titleId} className="connection-title" data-testid="connection-title">
            {c.name}
          </h3>
          <p className="connection-meta">
            Created <Time iso={c.created_at} />
            <span className="visually-hidden"> ({absoluteTime(c.created_at)})</span>
          </p>
        </div>
        <div className="connection-actions">
          <button type="button" className="button button-small" onClick={rehearse} disabled={rehearsal?.running} data-testid="test-connection">
            <IconPlay />
            <span>{rehearsal?.running ? "Testing…" : "Test"}</span>
          </button>
          <Menu
            label={`More actions for ${c.name}`}
            icon={<IconMore />}
            testid="connection-menu"
            items={[
              { label: "Delete", icon: <IconTrash />, danger: true, testid: "delete-connection", onSelect: () => setConfirmDelete(true) },
            ]}
          />
        </div>
      </header>

      {highlighted && (
        <p className="connection-hint" role="status">
          Connection created. Copy the base URL and token into Okta.
        </p>
      )}

      <dl className="connection-fields">
        <div className="connection-field connection-field-wide">
          <dt>Base URL</dt>
          <dd>
            <code className="mono secret-box" data-testid="base-url">{c.base_url}</code>
            <CopyButton text={c.base_url} label={`Copy the base URL of ${c.name}`} what="Base URL" testid="copy-base-url" />
          </dd>
        </div>
        <div className="connection-field">
          <dt>Token</dt>
          <dd>
            <code className={`mono secret-box${token === null ? " is-masked" : ""}`} data-testid="token" aria-label={token === null ? "Token hidden" : undefined}>
              {maskToken(token)}
            </code>
            <button
              type="button"
              className="button button-small"
              onClick={toggleToken}
              disabled={revealing}
              aria-pressed={token !== null}
              aria-label={token !== null ? `Hide the token of ${c.name}` : `Show the token of ${c.name}`}
              data-testid="reveal-token"
            >
              {token !== null ? <IconEyeOff /> : <IconEye />}
              <span>{token !== null ? "Hide" : "Show"}</span>
            </button>
            <CopyButton
              text={() => call("connection_token", { id: c.id })}
              label={`Copy the token of ${c.name}`}
              what="Token"
              testid="copy-token"
            />
          </dd>
        </div>
        <div className="connection-field">
          <dt>Last contact from Okta</dt>
          <dd data-testid="last-contact">
            <LastContactText contact={c.last_contact ?? null} />
          </dd>
        </div>
        {c.refused && (
          <div className="connection-field">
            <dt>Refused requests</dt>
            <dd data-testid="refused-requests">
              <RefusedText refused={c.refused} />
            </dd>
          </div>
        )}
      </dl>

      {rehearsal && <RehearsalPanel state={rehearsal} onClose={() => setRehearsal(null)} />}

      <ReconcileArea connection={c} />

      {confirmDelete && (
        <ConfirmDialog
          title={`Delete ${c.name}?`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(false)}
          onConfirm={del}
          testid="delete-dialog"
          confirmTestid="confirm-delete"
          cancelTestid="cancel-delete"
        >
          <p>
            Syncing from Okta stops: Okta's requests with this connection's token will be refused.
            The employees it synced stay in the directory.
          </p>
          <p className="muted">To sync again later, add a new connection and paste its base URL and token into Okta.</p>
        </ConfirmDialog>
      )}
    </article>
  );
}

export function LastContactText({ contact }: { contact: LastContact | null }) {
  if (!contact) return <span className="muted">Never — Okta hasn't called with this token yet</span>;
  return (
    <span className={`last-contact ${contact.ok ? "is-ok" : "is-failed"}`}>
      <Time iso={contact.at} />
      <span aria-hidden="true"> · </span>
      {contact.ok ? (
        <span className="outcome outcome-success">
          <IconCheck /> Succeeded
        </span>
      ) : (
        <span className="outcome outcome-failure">
          <IconX /> Failed{contact.detail ? `: ${contact.detail}` : ""}
        </span>
      )}
      <span className="http-status" title="HTTP status SCIM Desk answered">
        {contact.status}
      </span>
    </span>
  );
}

/** Requests refused for a wrong or missing token: not Okta's last contact, since anyone can send one. */
export function RefusedText({ refused }: { refused: RefusedRequests }) {
  const n = refused.count.toLocaleString("en-US");
  return (
    <span className="refused">
      <span className="outcome outcome-failure">
        <IconX /> {n} {refused.count === 1 ? "request" : "requests"} with a wrong or missing token
      </span>
      <span aria-hidden="true"> · </span>
      last <Time iso={refused.last_at} />
      <span className="muted small refused-hint">
        {" "}
        If Okta's requests fail with 401, paste this connection's token into Okta again; otherwise someone who knows the base URL tried a token.
      </span>
    </span>
  );
}

type RehearsalState = { running: true } | { running: false; result?: Rehearsal; error?: string } | null;

const STEP_LABEL = { ok: "Passed", failed: "Failed", skipped: "Skipped" } as const;

export function RehearsalPanel({ state, onClose }: { state: NonNullable<RehearsalState>; onClose: () => void }) {
  const result = "result" in state ? state.result : undefined;
  const error = "error" in state ? state.error : undefined;
  return (
    <section className="rehearsal" data-testid="rehearsal-result" aria-live="polite" aria-busy={state.running}>
      <header className="rehearsal-head">
        <h4 className="rehearsal-title">
          {state.running
            ? "Testing the connection the way Okta will…"
            : error
              ? "The test couldn't run"
              : result?.ok && result.reachable_by_okta
                ? "Okta will be able to connect"
                : result?.ok
                  ? "SCIM Desk answers as Okta expects, but Okta can't reach this URL yet"
                  : "Okta would not be able to connect"}
        </h4>
        {!state.running && (
          <button type="button" className="icon-button" aria-label="Close the test result" onClick={onClose}>
            <IconX />
          </button>
        )}
      </header>
      {error && <p className="field-error">{error}</p>}
      {result && (
        <>
          <ol className="checklist">
            {result.steps.map((s, i) => (
              <li key={i} className={`check check-${s.outcome}`} data-outcome={s.outcome}>
                <span className="check-icon" aria-hidden="true">
                  {s.outcome === "ok" ? <IconCheck /> : s.outcome === "failed" ? <IconX /> : <IconMinus />}
                </span>
                <div className="check-body">
                  <p className="check-step">
                    {s.step} <span className="check-outcome">{STEP_LABEL[s.outcome] ?? s.outcome}</span>
                  </p>
                  {s.request && <p className="check-request mono">{s.request}</p>}
                  {s.message && <p className="check-message">{s.message}</p>}
                </div>
              </li>
            ))}
          </ol>
          {result.note && (
            <p className={result.reachable_by_okta ? "rehearsal-note" : "rehearsal-note rehearsal-note-warn"} data-testid="rehearsal-note">
              {rehearsalNoteText(result.note)}
            </p>
          )}
        </>
      )}
    </section>
  );
}
