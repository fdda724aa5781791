// Where the identity provider (Okta, Microsoft Entra ID) reaches SCIM Desk: the public URL, what
// provides it, and whether the provider can get there. One URL for every connection.
import { useState } from "react";
import { type Provider, type TunnelStatus } from "../api";
import { CopyButton, Time } from "../components/bits";
import { IconAlert, IconCheck, IconGlobe, IconX } from "../components/Icons";
import { providerName } from "../lib/providers";
import { STABLE_ADVICE, tunnelMessage, tunnelSourceText } from "../lib/words";
import { TunnelDialog } from "./TunnelDialog";

function TunnelStateText({ t }: { t: TunnelStatus }) {
  const st = t.state;
  switch (st.state) {
    case "off":
      return <span className="state state-off"><span className="dot" aria-hidden="true" />No tunnel running</span>;
    case "starting":
      return <span className="state state-starting"><span className="dot dot-pulse" aria-hidden="true" />Starting…</span>;
    case "online":
      return (
        <span className="state state-online">
          <span className="dot" aria-hidden="true" />
          <span>
            Online at <code className="mono">{st.url}</code>
          </span>
        </span>
      );
    case "failed":
      return (
        <span className="state state-failed">
          <span className="dot" aria-hidden="true" />
          <span>
            Failed: {st.reason}
            {st.retry_at && (
              <>
                {" "}· next try <Time iso={st.retry_at} />
              </>
            )}
          </span>
        </span>
      );
  }
}

export function TunnelCard({ tunnel, provider = "okta" }: { tunnel: TunnelStatus | null; provider?: Provider }) {
  const who = providerName(provider);
  const [editing, setEditing] = useState(false);
  // A failed tunnel already shows its reason in the Tunnel row.
  const lastError =
    tunnel?.last_error && !(tunnel.state.state === "failed" && tunnel.state.reason === tunnel.last_error) ? tunnel.last_error : null;
  return (
    <section className="card tunnel" data-testid="tunnel-card" aria-labelledby="tunnel-title">
      <div className="card-head">
        <div className="card-head-title">
          <span className="card-icon"><IconGlobe /></span>
          <h2 id="tunnel-title" className="card-title">Public URL</h2>
        </div>
        <button type="button" className="button button-small" onClick={() => setEditing(true)} disabled={!tunnel} data-testid="tunnel-change">
          Change…
        </button>
      </div>
      {!tunnel ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="tunnel-url-row">
            <code className="mono tunnel-url" data-testid="public-url">{tunnel.public_url}</code>
            <CopyButton text={tunnel.public_url} label="Copy the public URL" what="Public URL" compact />
          </div>
          <dl className="kv">
            <div>
              <dt>Comes from</dt>
              <dd>{tunnelSourceText(tunnel)}</dd>
            </div>
            <div>
              <dt>Tunnel</dt>
              <dd data-testid="tunnel-state">
                {tunnel.mode === "own" && tunnel.state.state === "off" ? (
                  <span className="state state-off"><span className="dot" aria-hidden="true" />Not needed — your URL forwards to this computer</span>
                ) : (
                  <TunnelStateText t={tunnel} />
                )}
              </dd>
            </div>
            <div>
              <dt>{who} can reach it</dt>
              <dd>
                {tunnel.reachable_by_okta ? (
                  <span className="outcome outcome-success"><IconCheck /> Yes</span>
                ) : (
                  <span className="outcome outcome-failure"><IconX /> No</span>
                )}
                <span className="tunnel-message"> — {tunnelMessage(tunnel, who, provider === "okta" ? "Base URLs" : "Tenant URLs")}</span>
              </dd>
            </div>
          </dl>
          {(!tunnel.stable || lastError) && (
            <div className="callout callout-warning">
              <IconAlert />
              <div>
                {lastError && <p className="callout-strong">{lastError}</p>}
                {!tunnel.stable && <p>{STABLE_ADVICE}</p>}
              </div>
            </div>
          )}
        </>
      )}
      {editing && tunnel && <TunnelDialog tunnel={tunnel} provider={provider} onClose={() => setEditing(false)} />}
    </section>
  );
}
