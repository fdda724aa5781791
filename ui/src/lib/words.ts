// The app's own words for what the core reports as states and values (the CLI words the same
// data its way, in src-tauri/core/src/cli/wording.rs). Nothing here names a CLI command: the
// app points at its own controls.
import type { AffectedConnection, ReachabilityCause, ReachabilityWindow, RehearsalNote, TunnelStatus } from "../api";

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

/** One sentence on whether and how the identity provider (`who`) reaches SCIM Desk, beside
 *  "Okta can reach it". */
export function tunnelMessage(t: TunnelStatus, who = "Okta", urls = "Base URLs"): string {
  const tool = t.mode;
  switch (t.setting.mode) {
    case "none":
      return `${urls} point at ${t.public_url}, on this computer, which ${who} can't reach: choose a tunnel with Change…`;
    case "own":
      return `${who} reaches SCIM Desk through your own tunnel or reverse proxy at ${t.public_url}, which must forward /scim/v2/ to this computer. Test on a connection checks it end to end.`;
  }
  switch (t.state.state) {
    case "off":
      return `The ${tool} tunnel is not running: it starts with SCIM Desk's endpoint.`;
    case "starting":
      return `The ${tool} tunnel is starting.`;
    case "online":
      return `The ${tool} tunnel is online at ${t.state.url}.`;
    case "failed":
      return `The ${tool} tunnel is down, so ${who}'s requests can't arrive. SCIM Desk tries again by itself.`;
  }
}

/** Against a URL that changes when the tunnel restarts. */
export const STABLE_ADVICE =
  "For a URL that does not change, use Change… to choose a named cloudflared tunnel, an ngrok reserved domain, or your own tunnel or reverse proxy.";

/** In the URL-change banner, unless the new URL is already a stable one. */
export const STABLE_ADVICE_AFTER_CHANGE =
  "To stop this from happening again, use a stable public URL with Change… on the Okta page: your own URL, a named cloudflared tunnel or an ngrok reserved domain.";

/** Why a rehearsal says less than it seems to; `who` is the identity provider that calls. */
export function rehearsalNoteText(note: RehearsalNote, who = "Okta"): string {
  switch (note.kind) {
    case "tunnel_offline":
      return `The ${note.mode} tunnel is not online, so this test used ${
        note.last_url ? `its last known URL, ${note.last_url}` : `this computer's own address, which ${who} can't reach`
      }. The tunnel starts with SCIM Desk's endpoint: its state is on the Public URL card.`;
    case "no_public_url":
      return `No public URL is set, so this test went to this computer's own address, which ${who} can't reach. Choose one with Change… on the Public URL card, then test again.`;
    case "plain_http":
      return `The public URL is plain HTTP on this computer; ${who} only calls HTTPS URLs.`;
  }
}

/** Why Okta couldn't reach SCIM Desk, as a sentence's subject and verb: "the computer was asleep". */
export function reachabilityCauseText(cause: ReachabilityCause, cleanStop: boolean | null = null): string {
  switch (cause) {
    case "not_running":
      return cleanStop === false
        ? "SCIM Desk was not running (it ended unexpectedly: a crash, or the power lost)"
        : "SCIM Desk was not running";
    case "asleep":
      return "the computer was asleep";
    case "okta_off":
      return "the Okta switch was off";
    case "entra_off":
      return "the Microsoft Entra ID switch was off";
    case "tunnel_down":
      return "the tunnel was down";
    case "port_taken":
      return "another program held SCIM Desk's port";
    case "url_changed":
      return "Okta still had the old base URL";
  }
}

/** The cause in a few words, in brackets after the times: "(computer asleep)". */
export function reachabilityCauseShort(cause: ReachabilityCause): string {
  switch (cause) {
    case "not_running":
      return "SCIM Desk not running";
    case "asleep":
      return "computer asleep";
    case "okta_off":
      return "Okta switch off";
    case "entra_off":
      return "Entra switch off";
    case "tunnel_down":
      return "tunnel down";
    case "port_taken":
      return "port taken by another program";
    case "url_changed":
      return "base URL changed";
  }
}

/** The connections a window affected: "Okta production and Okta sandbox". */
export function affectedText(connections: readonly AffectedConnection[]): string {
  const names = connections.map((c) => c.name ?? "a deleted connection");
  if (names.length <= 1) return names[0] ?? "none";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Windows at least this long (in seconds) get the banner: Okta's pushes in them likely failed. */
export const BANNER_MIN_SECONDS = 5 * 60;

/** The window the banner is about: the newest one that has ended and lasted at least
 *  BANNER_MIN_SECONDS, unless the admin dismissed it. Earlier ones stay in the Okta page's list. */
export function bannerWindow(windows: readonly ReachabilityWindow[] | undefined): ReachabilityWindow | null {
  const newest = windows?.find((w) => w.ended_at !== null && w.seconds >= BANNER_MIN_SECONDS);
  return newest && !newest.dismissed ? newest : null;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** When a window was, in local time: "from 12:30 to 13:45" today; dates named when it spans
 *  days ("from Mon, Dec 7, 22:10 to Tue, Dec 8, 07:45") or was on another day ("on Mon, Dec 7,
 *  from 12:30 to 13:45"). An open window reads "since 15:00". */
export function windowSpanText(w: Pick<ReachabilityWindow, "started_at" | "ended_at">, now: Date = new Date()): string {
  const start = new Date(w.started_at);
  const startText = sameDay(start, now) ? clock.format(start) : `${day.format(start)}, ${clock.format(start)}`;
  if (w.ended_at === null) return `since ${startText}`;
  const end = new Date(w.ended_at);
  if (!sameDay(start, end)) return `from ${day.format(start)}, ${clock.format(start)} to ${day.format(end)}, ${clock.format(end)}`;
  if (sameDay(start, now)) return `from ${clock.format(start)} to ${clock.format(end)}`;
  return `on ${day.format(start)}, from ${clock.format(start)} to ${clock.format(end)}`;
}

/** How long a window lasted: "45 s", "12 min", "9 h 35 min", "2 days 3 h". */
export function windowLengthText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return `${days} ${days === 1 ? "day" : "days"}${rest ? ` ${rest} h` : ""}`;
}

/** The banner's sentence: "Okta couldn't reach SCIM Desk from 22:10 to 07:45 (computer asleep)." */
export function bannerText(w: ReachabilityWindow, now: Date = new Date(), who = "Okta"): string {
  return `${who} couldn't reach SCIM Desk ${windowSpanText(w, now)} (${reachabilityCauseShort(w.cause)}). Pushes in that time may have failed.`;
}
