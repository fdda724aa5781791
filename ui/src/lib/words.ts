// The app's own words for what the core reports as states and values (the CLI words the same
// data its way, in src-tauri/core/src/cli/wording.rs). Nothing here names a CLI command: the
// app points at its own controls.
import type { RehearsalNote, TunnelStatus } from "../api";

/** Where the public URL comes from, for the "Comes from" row. */
export function tunnelSourceText(t: Pick<TunnelStatus, "mode" | "setting">): string {
  const s = t.setting;
  switch (s.mode) {
    case "none":
      return "None — only this computer can reach SCIM Desk";
    case "own":
      return "Your own URL";
    case "cloudflared":
      return s.hostname ? `cloudflared named tunnel (${s.hostname})` : "cloudflared quick tunnel";
    case "ngrok":
      return s.domain ? `ngrok, reserved domain ${s.domain}` : "ngrok";
  }
}

/** One sentence on whether and how Okta reaches SCIM Desk, beside "Okta can reach it". */
export function tunnelMessage(t: TunnelStatus): string {
  const tool = t.mode;
  switch (t.setting.mode) {
    case "none":
      return `Base URLs point at ${t.public_url}, on this computer, which Okta can't reach: choose a tunnel with Change…`;
    case "own":
      return `Okta reaches SCIM Desk through your own tunnel or reverse proxy at ${t.public_url}, which must forward /scim/v2/ to this computer. Test on a connection checks it end to end.`;
  }
  switch (t.state.state) {
    case "off":
      return `The ${tool} tunnel is not running: it starts with SCIM Desk's endpoint.`;
    case "starting":
      return `The ${tool} tunnel is starting.`;
    case "online":
      return `The ${tool} tunnel is online at ${t.state.url}.`;
    case "failed":
      return `The ${tool} tunnel is down, so Okta's requests can't arrive. SCIM Desk tries again by itself.`;
  }
}

/** Against a URL that changes when the tunnel restarts. */
export const STABLE_ADVICE =
  "For a URL that does not change, use Change… to choose a named cloudflared tunnel, an ngrok reserved domain, or your own tunnel or reverse proxy.";

/** In the URL-change banner, unless the new URL is already a stable one. */
export const STABLE_ADVICE_AFTER_CHANGE =
  "To stop this from happening again, use a stable public URL with Change… on the Okta page: your own URL, a named cloudflared tunnel or an ngrok reserved domain.";

/** Why a rehearsal says less than it seems to. */
export function rehearsalNoteText(note: RehearsalNote): string {
  switch (note.kind) {
    case "tunnel_offline":
      return `The ${note.mode} tunnel is not online, so this test used ${
        note.last_url ? `its last known URL, ${note.last_url}` : "this computer's own address, which Okta can't reach"
      }. The tunnel starts with SCIM Desk's endpoint: its state is on the Public URL card.`;
    case "no_public_url":
      return "No public URL is set, so this test went to this computer's own address, which Okta can't reach. Choose one with Change… on the Public URL card, then test again.";
    case "plain_http":
      return "The public URL is plain HTTP on this computer; Okta only calls HTTPS URLs.";
  }
}
