// The problems that stop Okta from syncing, shown above every screen until they are solved.
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call } from "../api";
import { errorMessage } from "../lib/errors";
import { formatBytes } from "../lib/format";
import { rederiveCount, useRederive } from "../lib/rederive";
import { PROVIDER_WORDS } from "../lib/providers";
import { command, commandKey } from "../lib/queries";
import { navigate, useRoute } from "../lib/useRoute";
import { portOf, validatePort } from "../lib/validate";
import { bannerText, bannerWindow, STABLE_ADVICE_AFTER_CHANGE } from "../lib/words";
import { CopyButton, ProgressBar, Time, useNow } from "./bits";
import { IconAlert } from "./Icons";
import { useToast } from "./Toasts";
import type { AffectedConnection, EndpointStatus, Overview, Provider } from "../api";

export function EndpointBanner() {
  const { data: overview } = useQuery(command("overview"));
  const endpoint = overview?.endpoint;
  const broken = endpoint && (endpoint.state === "port_in_use" || endpoint.state === "failed");
  if (!broken || !endpoint) return null;
  return <EndpointForm endpoint={endpoint} />;
}

/** Suggests the next port up from the one that failed. */
function nextPort(listen: string): string {
  const p = Number(portOf(listen));
  return p ? String(Math.min(p + 1, 65535)) : "";
}

function EndpointForm({ endpoint }: { endpoint: EndpointStatus }) {
  const client = useQueryClient();
  const [port, setPort] = useState(() => nextPort(endpoint.listen));
  // Another address that failed (the port chosen was taken too): suggest the next one up again.
  const [suggestedFor, setSuggestedFor] = useState(endpoint.listen);
  if (suggestedFor !== endpoint.listen) {
    setSuggestedFor(endpoint.listen);
    setPort(nextPort(endpoint.listen));
  }
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { toast } = useToast();

  const message = "message" in endpoint ? endpoint.message : "";

  const apply = async () => {
    const invalid = validatePort(port);
    setError(invalid);
    if (invalid) return;
    setBusy(true);
    try {
      const status = await call("change_port", { port: Number(port.trim()) });
      client.setQueryData(commandKey("overview"), (o: Overview | undefined) => (o ? { ...o, endpoint: status } : o));
      void client.invalidateQueries({ queryKey: commandKey("overview") });
      if (status.state === "serving") toast(`SCIM Desk now listens on ${status.listen}.`);
      else if (status.state === "port_in_use") setError(`Another program is using ${status.listen} too: choose another port.`);
      else if ("message" in status) setError(status.message);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="banner banner-danger" data-testid="endpoint-banner" aria-labelledby="endpoint-banner-title">
      <span className="banner-icon"><IconAlert /></span>
      <div className="banner-body">
        <h2 id="endpoint-banner-title" className="banner-title">
          Okta can't reach SCIM Desk
        </h2>
        <p>
          {endpoint.state === "port_in_use" ? (
            `Another program is already using ${endpoint.listen}, so SCIM Desk could not start its endpoint there. Choose another port; base URLs change with it, so update them in Okta.`
          ) : (
            <>
              {`The endpoint on ${endpoint.listen} stopped.`}{" "}
              {message && <span className="banner-detail">{message}</span>}
            </>
          )}
        </p>
        <form
          className="banner-form"
          onSubmit={(e) => {
            e.preventDefault();
            void apply();
          }}
          noValidate
        >
          <label htmlFor="port-input" className="field-label">
            Port on this computer
          </label>
          <div className="inline-controls">
            <input
              id="port-input"
              className="input input-port"
              inputMode="numeric"
              value={port}
              onChange={(e) => setPort(e.target.value)}
              aria-invalid={!!error}
              aria-describedby={error ? "port-error" : undefined}
              data-testid="port-input"
            />
            <button type="submit" className="button button-primary" disabled={busy} data-testid="port-apply">
              {busy ? "Starting…" : "Use this port"}
            </button>
          </div>
          {error && (
            <p id="port-error" className="field-error" role="alert" data-testid="port-error">
              {error}
            </p>
          )}
        </form>
      </div>
    </section>
  );
}

/** Writes fail because the disk holding the data directory is full; gone once a write succeeds. */
export function DiskFullBanner() {
  const { data: overview } = useQuery(command("overview"));
  const full = overview?.disk_full;
  if (!full) return null;
  return (
    <section className="banner banner-danger" data-testid="disk-full-banner" aria-labelledby="disk-full-title">
      <span className="banner-icon"><IconAlert /></span>
      <div className="banner-body">
        <h2 id="disk-full-title" className="banner-title">
          The disk is full — SCIM Desk can't save Okta's changes
        </h2>
        <p>
          Since <Time iso={full.since} />, Okta's changes are refused (nothing is lost: Okta retries them). Free space on
          the disk that holds SCIM Desk's data; the changes go through by themselves once there is room.
        </p>
        <dl className="banner-facts">
          <div>
            <dt>Free space</dt>
            <dd data-testid="disk-free">{full.free_bytes === null ? "unknown" : formatBytes(full.free_bytes)}</dd>
          </div>
          <div>
            <dt>Data directory</dt>
            <dd>
              <code className="mono" data-testid="disk-data-dir">{full.data_dir}</code>
              <CopyButton text={full.data_dir} label="Copy the data directory's path" what="Path" testid="copy-data-dir" />
            </dd>
          </div>
        </dl>
      </div>
    </section>
  );
}

export function UrlChangedBanner() {
  const client = useQueryClient();
  const { data: tunnel } = useQuery(command("tunnel_status"));
  const { data: connections } = useQuery(command("list_connections"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const change = tunnel?.url_changed;
  if (!change) return null;

  // Whose consoles need the new URL: Okta's base URL, Entra's Tenant URL, or both.
  const providerOf = (id: string): Provider => connections?.find((c) => c.id === id)?.provider ?? "okta";
  const entra = change.base_urls.some((b) => providerOf(b.connection_id) === "entra");
  const okta = !entra || change.base_urls.some((b) => providerOf(b.connection_id) === "okta");
  const where = okta && entra ? "Okta and Microsoft Entra ID" : entra ? "Microsoft Entra ID" : "Okta";

  // Advice against it happening again, unless the new URL is already a stable one.
  const advice = tunnel?.stable ? null : STABLE_ADVICE_AFTER_CHANGE;

  const ack = async () => {
    setBusy(true);
    setError(null);
    try {
      client.setQueryData(commandKey("tunnel_status"), await call("acknowledge_url_change"));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="banner banner-warning" data-testid="url-changed-banner" aria-labelledby="url-banner-title">
      <span className="banner-icon"><IconAlert /></span>
      <div className="banner-body">
        <h2 id="url-banner-title" className="banner-title">
          {okta && entra
            ? "Your public URL changed — update the base URL in Okta and the Tenant URL in Microsoft Entra ID"
            : entra
              ? "Your public URL changed — update the Tenant URL in Microsoft Entra ID"
              : "Your public URL changed — update the base URL in Okta"}
        </h2>
        <p>
          {`SCIM Desk is now reached at ${change.to} instead of ${change.from}.`}{" "}
          {okta && (
            <>
              Until you paste the new base URL into Okta (Provisioning › Integration › SCIM connector base
              URL), Okta's requests go to the old address and fail.
            </>
          )}
          {okta && entra && " "}
          {entra && (
            <>
              Until you paste the new Tenant URL into the Entra application (Provisioning › Admin Credentials ›
              Tenant URL), Entra's requests go to the old address and fail.
            </>
          )}
        </p>
        {change.base_urls.length > 0 && (
          <ul className="banner-list">
            {change.base_urls.map((c) => (
              <li key={c.connection_id}>
                <span className="banner-list-name">{c.name}</span>
                <code className="mono">{c.base_url}</code>
                <CopyButton
                  text={c.base_url}
                  label={`Copy the new ${PROVIDER_WORDS[providerOf(c.connection_id)].baseUrlInText} of ${c.name}`}
                  what={PROVIDER_WORDS[providerOf(c.connection_id)].baseUrlLabel}
                  testid="copy-new-base-url"
                />
              </li>
            ))}
          </ul>
        )}
        {advice && <p className="banner-advice">{advice}</p>}
        {error && <p className="field-error" role="alert">{error}</p>}
        <div className="banner-actions">
          <button type="button" className="button button-primary" onClick={ack} disabled={busy} data-testid="ack-url-change">
            I've updated {where}
          </button>
          {!tunnel?.stable && (
            <a className="button button-ghost" href="#/settings/integrations/okta">
              Choose a stable URL
            </a>
          )}
        </div>
      </div>
    </section>
  );
}

/** After Okta couldn't reach SCIM Desk for a while: when, why, and what to do in Okta about the
 *  pushes that may have failed. Dismissed per window, for good (the core keeps it). */
export function ReachabilityBanner() {
  const client = useQueryClient();
  const { data: windows } = useQuery(command("reachability_windows"));
  const now = useNow();
  const { data: connections } = useQuery(command("list_connections"));
  const onOktaPage = useRoute().page === "okta";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const w = bannerWindow(windows);
  if (!w) return null;

  // Whose pushes may have failed: the providers of the connections the window affected (a
  // deleted connection's is unknown, and counted as Okta's, the words of before).
  const providerOf = (id: string): Provider => connections?.find((c) => c.id === id)?.provider ?? "okta";
  const entra = w.connections.some((c) => providerOf(c.id) === "entra");
  const okta = !entra || w.connections.some((c) => providerOf(c.id) === "okta");
  const who = okta && entra ? "Okta and Microsoft Entra ID" : entra ? "Microsoft Entra ID" : "Okta";

  const dismiss = async () => {
    setBusy(true);
    setError(null);
    try {
      client.setQueryData(commandKey("reachability_windows"), await call("dismiss_reachability_window", { id: w.id }));
      // The button is gone with the banner: keyboard users continue from the page's content.
      document.getElementById("main")?.focus({ preventScroll: true });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="banner banner-warning" data-testid="reachability-banner" data-window-id={w.id} aria-labelledby="reachability-banner-title">
      <span className="banner-icon"><IconAlert /></span>
      <div className="banner-body">
        <h2 id="reachability-banner-title" className="banner-title" data-testid="reachability-banner-text">
          {bannerText(w, now, who)}
        </h2>
        {okta && (
          <>
            <p>In the Okta Admin Console:</p>
            <ul className="banner-steps">
              <li>
                <strong>Dashboard › Tasks</strong>: retry the failed provisioning tasks.
              </li>
              <li>
                For pushed groups, in the app's <strong>Push Groups</strong> tab: <strong>Push Now</strong>.
              </li>
            </ul>
          </>
        )}
        {entra && (
          <p data-testid="reachability-banner-entra">
            Microsoft Entra ID retries the changes that failed in its next provisioning cycles, which run about every 40
            minutes. For someone who can't wait, use <strong>Provision on demand</strong> in the Entra application's
            provisioning pages.
          </p>
        )}
        {error && <p className="field-error" role="alert">{error}</p>}
        <div className="banner-actions">
          <button type="button" className="button button-primary" onClick={dismiss} disabled={busy} data-testid="dismiss-reachability">
            Dismiss
          </button>
          <ReconcileNow connections={w.connections.filter((c) => providerOf(c.id) === "okta")} onError={setError} />
          {!onOktaPage && (
            <a className="button button-ghost" href="#/settings/integrations/okta">
              See all on the Okta page
            </a>
          )}
        </div>
      </div>
    </section>
  );
}

/** "Reconcile now" for each connection of the window whose Okta API access is set up: a dry run
 *  that lists what Okta has and the directory missed (shown on the Okta page). */
function ReconcileNow({ connections, onError }: { connections: readonly AffectedConnection[]; onError: (e: string | null) => void }) {
  const client = useQueryClient();
  const states = useQueries({ queries: connections.map((c) => command("reconcile_state", { connectionId: c.id })) });
  const [started, setStarted] = useState<string | null>(null);
  const ready = connections.filter((_, i) => states[i]?.data?.setup);
  const start = async (c: AffectedConnection) => {
    onError(null);
    try {
      client.setQueryData(commandKey("reconcile_state", { connectionId: c.id }), await call("start_reconcile", { connectionId: c.id }));
      setStarted(c.id);
      navigate("#/settings/integrations/okta");
    } catch (e) {
      onError(errorMessage(e));
    }
  };
  return (
    <>
      {ready.map((c) => (
        <button
          key={c.id}
          type="button"
          className="button"
          onClick={() => start(c)}
          disabled={started === c.id}
          data-testid="reconcile-now"
        >
          {ready.length > 1 ? `Reconcile ${c.name} now` : "Reconcile now"}
        </button>
      ))}
    </>
  );
}

/** While a mapping change updates employees' fields, every screen says so (their fields are
 *  being rewritten from what the identity provider sent). */
export function RederiveBanner() {
  const run = useRederive();
  if (!run) return null;
  const words = PROVIDER_WORDS[run.provider];
  return (
    <section className="banner banner-info" data-testid="rederive-banner" aria-labelledby="rederive-banner-title" aria-live="polite">
      <div className="banner-body">
        <h2 id="rederive-banner-title" className="banner-title">
          Updating employees' fields after a mapping change… <span data-testid="rederive-banner-count">{rederiveCount(run)}</span>
        </h2>
        <ProgressBar fraction={run.total > 0 ? run.done / run.total : null} label="Updating employees' fields" />
        <p className="small">
          {words.name}'s attribute mapping changed; until this ends, some employees still show their fields as before.{" "}
          <a href={`#/settings/integrations/${run.provider}/mapping`}>Attribute mapping</a>
        </p>
      </div>
    </section>
  );
}
