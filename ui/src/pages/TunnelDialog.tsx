import { useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { call, type Provider, type TunnelInput, type TunnelStatus } from "../api";
import { Dialog } from "../components/Dialog";
import { useToast } from "../components/Toasts";
import { errorField, errorMessage } from "../lib/errors";
import { PROVIDER_WORDS } from "../lib/providers";
import { commandKey } from "../lib/queries";

type Mode = TunnelInput["mode"];
/** `provider`: whose page opened the dialog, for its words (the URL serves every provider). */
type Props = { tunnel: TunnelStatus; onClose: () => void; provider?: Provider };

/** The choices and fields of the dialog, as the admin left them. */
export type TunnelForm = {
  mode: Mode;
  url: string;
  hostname: string;
  token: string;
  authtoken: string;
  domain: string;
};

export function initialTunnelForm(t: Pick<TunnelStatus, "mode" | "setting" | "public_url">): TunnelForm {
  const s = t.setting;
  return {
    mode: t.mode,
    url: s?.mode === "own" ? s.url : "",
    hostname: s?.mode === "cloudflared" ? (s.hostname ?? "") : "",
    token: "",
    authtoken: "",
    domain: s?.mode === "ngrok" ? (s.domain ?? "") : "",
  };
}

/** Client-side checks; returns [field, message] or null. */
export function checkTunnelForm(f: TunnelForm): [string, string] | null {
  if (f.mode === "own") {
    const u = f.url.trim();
    if (!u) return ["url", "Enter the public URL that reaches this computer, such as https://scim.example.com."];
    if (!/^https?:\/\/[^\s/]+/i.test(u)) return ["url", "Enter a full URL starting with https://."];
  }
  if (f.mode === "cloudflared" && f.hostname.trim() && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(f.hostname.trim()))
    return ["hostname", "Enter a hostname such as scim.example.com, without https:// or a path."];
  return null;
}

const blank = (s: string) => (s.trim() === "" ? null : s.trim());

export function tunnelInput(f: TunnelForm): TunnelInput {
  return {
    mode: f.mode,
    url: f.mode === "own" ? blank(f.url) : null,
    // A hostname makes it a named tunnel; without one it is a quick tunnel and needs no token.
    hostname: f.mode === "cloudflared" ? blank(f.hostname) : null,
    token: f.mode === "cloudflared" && blank(f.hostname) ? blank(f.token) : null,
    domain: f.mode === "ngrok" ? blank(f.domain) : null,
    authtoken: f.mode === "ngrok" ? blank(f.authtoken) : null,
  };
}

const modes = (who: string): { value: Mode; label: string; desc: string }[] => [
  { value: "none", label: "None", desc: `Only programs on this computer can reach SCIM Desk. ${who} in the cloud can't.` },
  { value: "own", label: "Your own URL", desc: "A reverse proxy or tunnel you run yourself forwards HTTPS to this computer." },
  { value: "cloudflared", label: "cloudflared", desc: "SCIM Desk runs a Cloudflare Tunnel for you: a quick tunnel, or a named tunnel on your own hostname." },
  { value: "ngrok", label: "ngrok", desc: "SCIM Desk runs an ngrok tunnel with your ngrok account." },
];

export function TunnelDialog({ tunnel, onClose, provider = "okta" }: Props) {
  const words = PROVIDER_WORDS[provider];
  const client = useQueryClient();
  const { toast } = useToast();
  const [f, setF] = useState<TunnelForm>(() => initialTunnelForm(tunnel));
  const [err, setErr] = useState<{ field: string | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<TunnelForm>) => {
    setF((old) => ({ ...old, ...patch }));
    setErr(null);
  };

  const save = async () => {
    if (busy) return;
    const bad = checkTunnelForm(f);
    if (bad) {
      setErr({ field: bad[0], message: bad[1] });
      return;
    }
    setBusy(true);
    try {
      client.setQueryData(commandKey("tunnel_status"), await call("set_tunnel", { input: tunnelInput(f) }));
      // Base URLs are built from the public URL (the change event says so too, a moment later).
      void client.invalidateQueries({ queryKey: commandKey("list_connections") });
      toast("Public URL setting saved.");
      onClose();
    } catch (e) {
      setErr({ field: errorField(e), message: errorMessage(e) });
      setBusy(false);
    }
  };

  const FIELDS = ["url", "hostname", "token", "authtoken", "domain"];
  const errorFor = (field: string): ReactNode =>
    err && err.field === field ? (
      <p className="field-error" role="alert" data-testid="tunnel-error" id={`tunnel-${field}-error`}>
        {err.message}
      </p>
    ) : null;
  const generalError =
    err && !(err.field && FIELDS.includes(err.field) && fieldShown(f, err.field)) ? (
      <p className="field-error form-error" role="alert" data-testid="tunnel-error">
        {err.message}
      </p>
    ) : null;
  const described = (field: string) => (err?.field === field ? `tunnel-${field}-error` : undefined);

  return (
    <Dialog
      title={`Where ${words.name} reaches SCIM Desk`}
      onClose={onClose}
      onSubmit={save}
      testid="tunnel-dialog"
      size="large"
      busy={busy}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy} data-testid="save-tunnel">
            {busy ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <p className="dialog-lede">
        {words.name} calls SCIM Desk over the internet, so it needs a public HTTPS URL that leads to this
        computer. Connection {provider === "okta" ? "base URLs" : "Tenant URLs"} are built from it.
      </p>
      <fieldset className="choices">
        <legend className="visually-hidden">Public URL source</legend>
        {modes(words.name).map((m) => (
          <div key={m.value} className={`choice${f.mode === m.value ? " is-selected" : ""}`}>
            <label className="choice-label">
              <input
                type="radio"
                name="tunnel-mode"
                value={m.value}
                checked={f.mode === m.value}
                onChange={() => set({ mode: m.value })}
                data-testid={`tunnel-mode-${m.value}`}
                data-autofocus={f.mode === m.value ? "" : undefined}
              />
              <span>
                <span className="choice-title">{m.label}</span>
                <span className="choice-desc">{m.desc}</span>
              </span>
            </label>

            {f.mode === "own" && m.value === "own" && (
              <div className="choice-fields">
                <label className="field-label" htmlFor="tunnel-url">Public URL</label>
                <input
                  id="tunnel-url"
                  className="input mono-input"
                  type="url"
                  placeholder="https://scim.example.com"
                  value={f.url}
                  onChange={(e) => set({ url: e.target.value })}
                  aria-invalid={err?.field === "url"}
                  aria-describedby={described("url")}
                  data-testid="tunnel-url"
                />
                {errorFor("url")}
              </div>
            )}

            {f.mode === "cloudflared" && m.value === "cloudflared" && (
              <div className="choice-fields">
                <div className="field-grid">
                  <div>
                    <label className="field-label" htmlFor="tunnel-hostname">
                      Named tunnel hostname <span className="field-optional">(optional)</span>
                    </label>
                    <input
                      id="tunnel-hostname"
                      className="input mono-input"
                      placeholder="scim.example.com"
                      value={f.hostname}
                      onChange={(e) => set({ hostname: e.target.value })}
                      aria-invalid={err?.field === "hostname"}
                      aria-describedby={described("hostname") ?? "tunnel-hostname-help"}
                      data-testid="tunnel-hostname"
                    />
                    <p className="field-help" id="tunnel-hostname-help">
                      Leave empty for a quick tunnel: no Cloudflare account needed, but its URL changes each time it starts.
                    </p>
                    {errorFor("hostname")}
                  </div>
                  <div>
                    <label className="field-label" htmlFor="tunnel-token">Named tunnel token</label>
                    <input
                      id="tunnel-token"
                      className="input mono-input"
                      type="password"
                      autoComplete="off"
                      placeholder="Paste the tunnel token"
                      value={f.token}
                      onChange={(e) => set({ token: e.target.value })}
                      aria-invalid={err?.field === "token"}
                      aria-describedby={described("token") ?? "tunnel-token-help"}
                      data-testid="tunnel-token"
                    />
                    <p className="field-help" id="tunnel-token-help">
                      From Cloudflare Zero Trust › Networks › Tunnels. Kept in the system keychain; leave empty to keep the one already saved.
                    </p>
                    {errorFor("token")}
                  </div>
                </div>
              </div>
            )}

            {f.mode === "ngrok" && m.value === "ngrok" && (
              <div className="choice-fields field-grid">
                <div>
                  <label className="field-label" htmlFor="ngrok-authtoken">Authtoken</label>
                  <input
                    id="ngrok-authtoken"
                    className="input mono-input"
                    type="password"
                    autoComplete="off"
                    placeholder="Paste your ngrok authtoken"
                    value={f.authtoken}
                    onChange={(e) => set({ authtoken: e.target.value })}
                    aria-invalid={err?.field === "authtoken"}
                    aria-describedby={described("authtoken") ?? "ngrok-authtoken-help"}
                    data-testid="ngrok-authtoken"
                  />
                  <p className="field-help" id="ngrok-authtoken-help">From your ngrok dashboard; kept in the system keychain. Leave empty to keep the one already saved.</p>
                  {errorFor("authtoken")}
                </div>
                <div>
                  <label className="field-label" htmlFor="ngrok-domain">
                    Reserved domain <span className="field-optional">(optional)</span>
                  </label>
                  <input
                    id="ngrok-domain"
                    className="input mono-input"
                    placeholder="scimdesk.ngrok.app"
                    value={f.domain}
                    onChange={(e) => set({ domain: e.target.value })}
                    aria-invalid={err?.field === "domain"}
                    aria-describedby={described("domain") ?? "ngrok-domain-help"}
                    data-testid="ngrok-domain"
                  />
                  <p className="field-help" id="ngrok-domain-help">Without one, the URL changes each time ngrok starts.</p>
                  {errorFor("domain")}
                </div>
              </div>
            )}
          </div>
        ))}
      </fieldset>
      {generalError}
    </Dialog>
  );
}

function fieldShown(f: TunnelForm, field: string): boolean {
  switch (field) {
    case "url":
      return f.mode === "own";
    case "hostname":
    case "token":
      return f.mode === "cloudflared";
    case "authtoken":
    case "domain":
      return f.mode === "ngrok";
  }
  return false;
}
