// One connection of an identity provider: its base URL and token to copy into the provider (Entra
// calls them Tenant URL and Secret Token), when the provider last called, a rehearsal of the
// provider's own test, Okta's reconcile for an Okta connection, and Regenerate token and Delete
// behind the overflow menu.
import { useEffect, useRef, useState } from "react";
import { call, type ConnectionView, type LastContact, type Provider, type RefusedRequests, type Rehearsal } from "../api";
import { CopyButton, Time } from "../components/bits";
import { ConfirmDialog } from "../components/Dialog";
import { IconCheck, IconEye, IconEyeOff, IconMinus, IconMore, IconPlay, IconRefresh, IconTrash, IconX } from "../components/Icons";
import { Menu } from "../components/Menu";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { absoluteTime, maskToken } from "../lib/format";
import { PROVIDER_WORDS, stepName } from "../lib/providers";
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
  const [confirmRegenerate, setConfirmRegenerate] = useState(false);
  /** Just regenerated: the new token is shown, with a reminder to paste it. */
  const [regenerated, setRegenerated] = useState(false);
  const [rehearsal, setRehearsal] = useState<RehearsalState>(null);
  const { toast } = useToast();
  const root = useRef<HTMLElement>(null);
  const words = PROVIDER_WORDS[c.provider];
  const idp = words.name;

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

  const regenerate = async () => {
    try {
      setToken(await call("regenerate_token", { id: c.id }));
      setRegenerated(true);
      setConfirmRegenerate(false);
      toast(`${c.name} has a new ${words.tokenInText}. Paste it into ${words.short} now.`);
    } catch (e) {
      setConfirmRegenerate(false);
      toast(errorMessage(e), "error");
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
      data-provider={c.provider}
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
              { label: `Regenerate ${words.tokenInText}`, icon: <IconRefresh />, testid: "regenerate-token", onSelect: () => setConfirmRegenerate(true) },
              { label: "Delete", icon: <IconTrash />, danger: true, testid: "delete-connection", onSelect: () => setConfirmDelete(true) },
            ]}
          />
        </div>
      </header>

      {highlighted && (
        <p className="connection-hint" role="status">
          Connection created. {c.token_kept ? words.copyHint : `Paste the ${words.baseUrlInText} and the ${words.tokenInText} you copied into ${words.short}.`}
        </p>
      )}

      {regenerated && (
        <p className="connection-hint" role="status" data-testid="regenerated-hint">
          New {words.tokenInText} generated: the old one is refused from now on. Copy it into {words.short} now, where the old one was.
          {!c.token_kept && ` It is shown only this once: SCIM Desk keeps only a digest of it.`}
        </p>
      )}

      <dl className="connection-fields">
        <div className="connection-field connection-field-wide">
          <dt>{words.baseUrlLabel}</dt>
          <dd>
            <code className="mono secret-box" data-testid="base-url">{c.base_url}</code>
            <CopyButton text={c.base_url} label={`Copy the ${words.baseUrlInText} of ${c.name}`} what={words.baseUrlLabel} testid="copy-base-url" />
          </dd>
        </div>
        {!c.token_kept ? (
          <div className="connection-field">
            <dt>{words.tokenLabel}</dt>
            <dd>
              {token !== null ? (
                <>
                  <code className="mono secret-box" data-testid="token">{token}</code>
                  <CopyButton text={token} label={`Copy the ${words.tokenInText} of ${c.name}`} what={words.tokenLabel} testid="copy-token" />
                </>
              ) : (
                <>
                  <span className="muted" data-testid="token-not-kept">
                    Shown once, when it was made: SCIM Desk runs in server mode and keeps only a digest of it.
                  </span>
                  <button type="button" className="button button-small" onClick={() => setConfirmRegenerate(true)} data-testid="regenerate-token-inline">
                    <IconRefresh />
                    <span>Regenerate</span>
                  </button>
                </>
              )}
            </dd>
          </div>
        ) : (
        <div className="connection-field">
          <dt>{words.tokenLabel}</dt>
          <dd>
            <code className={`mono secret-box${token === null ? " is-masked" : ""}`} data-testid="token" aria-label={token === null ? `${words.tokenLabel} hidden` : undefined}>
              {maskToken(token)}
            </code>
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                setRegenerated(false);
                void toggleToken();
              }}
              disabled={revealing}
              aria-pressed={token !== null}
              aria-label={token !== null ? `Hide the ${words.tokenInText} of ${c.name}` : `Show the ${words.tokenInText} of ${c.name}`}
              data-testid="reveal-token"
            >
              {token !== null ? <IconEyeOff /> : <IconEye />}
              <span>{token !== null ? "Hide" : "Show"}</span>
            </button>
            <CopyButton
              text={() => call("connection_token", { id: c.id })}
              label={`Copy the ${words.tokenInText} of ${c.name}`}
              what={words.tokenLabel}
              testid="copy-token"
            />
          </dd>
        </div>
        )}
        <div className="connection-field">
          <dt>Last contact from {idp}</dt>
          <dd data-testid="last-contact">
            <LastContactText contact={c.last_contact ?? null} provider={c.provider} />
          </dd>
        </div>
        {c.refused && (
          <div className="connection-field">
            <dt>Refused requests</dt>
            <dd data-testid="refused-requests">
              <RefusedText refused={c.refused} provider={c.provider} />
            </dd>
          </div>
        )}
      </dl>

      {rehearsal && <RehearsalPanel provider={c.provider} state={rehearsal} onClose={() => setRehearsal(null)} />}

      {/* Reconciling reads Okta's API: there is none of it for an Entra connection. */}
      {c.provider === "okta" && <ReconcileArea connection={c} />}

      {confirmRegenerate && (
        <ConfirmDialog
          title={`Regenerate the ${words.tokenInText} of ${c.name}?`}
          confirmLabel={`Regenerate ${words.tokenInText}`}
          danger
          onCancel={() => setConfirmRegenerate(false)}
          onConfirm={regenerate}
          testid="regenerate-dialog"
          confirmTestid="confirm-regenerate"
          cancelTestid="cancel-regenerate"
        >
          <p>
            {idp}'s requests with the current {words.tokenInText} will be refused at once, until you paste the new one into {words.short}.
            Do this when the {words.tokenInText} may have leaked.
          </p>
          <p className="muted">The new {words.tokenInText} is shown here once you confirm. Employees and the base URL stay as they are.</p>
        </ConfirmDialog>
      )}

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
            Syncing from {idp} stops: {idp}'s requests with this connection's {words.tokenInText} will be refused.
            The employees it synced stay in the directory.
          </p>
          <p className="muted">
            To sync again later, add a new connection and paste its {c.provider === "okta" ? "base URL and token into Okta" : "Tenant URL and Secret Token into Entra"}.
          </p>
        </ConfirmDialog>
      )}
    </article>
  );
}

export function LastContactText({ contact, provider }: { contact: LastContact | null; provider: Provider }) {
  const words = PROVIDER_WORDS[provider];
  if (!contact) {
    return (
      <span className="muted">
        Never — {words.short} hasn't called with this {words.tokenInText} yet
      </span>
    );
  }
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
export function RefusedText({ refused, provider }: { refused: RefusedRequests; provider: Provider }) {
  const words = PROVIDER_WORDS[provider];
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
        {provider === "okta"
          ? "If Okta's requests fail with 401, paste this connection's token into Okta again; otherwise someone who knows the base URL tried a token."
          : `If ${words.name}'s requests fail with 401, paste this connection's Secret Token into the application's Admin Credentials again; otherwise someone who knows the Tenant URL tried a token.`}
      </span>
    </span>
  );
}

type RehearsalState = { running: true } | { running: false; result?: Rehearsal; error?: string } | null;

const STEP_LABEL = { ok: "Passed", failed: "Failed", skipped: "Skipped" } as const;

type PanelProps = { provider: Provider; state: NonNullable<RehearsalState>; onClose: () => void };

/** The rehearsal's verdict and its steps, in the words of the connection's provider. */
export function RehearsalPanel({ provider: asked, state, onClose }: PanelProps) {
  const result = "result" in state ? state.result : undefined;
  const error = "error" in state ? state.error : undefined;
  const provider = result?.provider ?? asked;
  const idp = PROVIDER_WORDS[provider].name;
  const short = PROVIDER_WORDS[provider].short;
  const test = provider === "okta" ? "the way Okta will" : "the way Entra's Test Connection does";
  return (
    <section className="rehearsal" data-testid="rehearsal-result" aria-live="polite" aria-busy={state.running}>
      <header className="rehearsal-head">
        <h4 className="rehearsal-title">
          {state.running
            ? `Testing the connection ${test}…`
            : error
              ? "The test couldn't run"
              : result?.ok && result.reachable_by_provider
                ? `${idp} will be able to connect`
                : result?.ok
                  ? `SCIM Desk answers as ${idp} expects, but ${short} can't reach this URL yet`
                  : `${idp} would not be able to connect`}
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
              <li key={i} className={`check check-${s.outcome}`} data-outcome={s.outcome} data-step={s.step} data-testid="rehearsal-step">
                <span className="check-icon" aria-hidden="true">
                  {s.outcome === "ok" ? <IconCheck /> : s.outcome === "failed" ? <IconX /> : <IconMinus />}
                </span>
                <div className="check-body">
                  <p className="check-step">
                    {stepName(provider, s.step)} <span className="check-outcome">{STEP_LABEL[s.outcome] ?? s.outcome}</span>
                  </p>
                  {s.request && <p className="check-request mono">{s.request}</p>}
                  {s.message && <p className="check-message">{s.message}</p>}
                </div>
              </li>
            ))}
          </ol>
          {result.note && (
            <p className={result.reachable_by_provider ? "rehearsal-note" : "rehearsal-note rehearsal-note-warn"} data-testid="rehearsal-note">
              {rehearsalNoteText(result.note, idp)}
            </p>
          )}
        </>
      )}
    </section>
  );
}
