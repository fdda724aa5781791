//! The CLI's words for the tunnel's status, a URL change and the rehearsal's note, and the JSON
//! shapes `--json` has always printed for them.
//!
//! The core hands out states and values ([`TunnelStatus`], [`RehearsalNote`]); here they become
//! the CLI's sentences, which may name CLI commands. The app words the same data its own way
//! (`ui/src/lib/words.ts`) and never names a command.

use serde::Serialize;

use crate::https::TransportFailure;
use crate::okta::reconcile::ReconcileReport;
use crate::okta::OktaApiError;
use crate::reachability::{AffectedConnection, Cause, Window};
use crate::tunnel::rehearsal::{Rehearsal, RehearsalNote, Step};
use crate::tunnel::{TunnelError, TunnelSetting, TunnelState, TunnelStatus, UrlChange};

/// What the CLI recommends when the URL is not stable or just changed.
pub const STABLE_ADVICE: &str = "For a URL that does not change, use a named cloudflared tunnel \
     (`scimdesk tunnel set cloudflared --hostname HOST --token-stdin`), an ngrok reserved domain \
     (`scimdesk tunnel set ngrok --domain DOMAIN`), or your own reverse proxy \
     (`scimdesk tunnel set own URL`).";

/// One plain sentence on where the public URL stands. `listen` is the endpoint's address.
pub fn tunnel_message(status: &TunnelStatus, listen: &str) -> String {
    let tool = status.mode;
    let public_url = &status.public_url;
    match (&status.setting, &status.state) {
        (TunnelSetting::None, _) => format!(
            "No tunnel: base URLs use {public_url}, which Okta cannot reach. Choose one: \
             `scimdesk tunnel set cloudflared` (runs your installed cloudflared, no account \
             needed), `scimdesk tunnel set ngrok --authtoken-stdin`, or \
             `scimdesk tunnel set own https://…` for a tunnel or reverse proxy you run."
        ),
        (TunnelSetting::Own { url }, _) => format!(
            "Okta reaches SCIM Desk through your own tunnel or reverse proxy at {url}, which \
             must forward /scim/v2/ to http://{listen}. `scimdesk connection test NAME` checks it \
             end to end."
        ),
        (_, TunnelState::Off) => format!(
            "The {tool} tunnel is not running: it starts with the SCIM endpoint \
             (`scimdesk serve` or the app)."
        ),
        (_, TunnelState::Starting) => format!("The {tool} tunnel is starting."),
        (_, TunnelState::Online { url }) => format!("The {tool} tunnel is online at {url}."),
        (setting, TunnelState::Failed { reason, retry_at }) => {
            let next = match retry_at {
                Some(at) => format!(" Next attempt at {at}."),
                None => String::new(),
            };
            // The core's reason says what to fix, not how: here, the command that does it.
            let how = match setting {
                TunnelSetting::Cloudflared { hostname: Some(_) } => {
                    " A new tunnel token: `scimdesk tunnel set cloudflared --hostname HOST \
                     --token-stdin`."
                }
                TunnelSetting::Ngrok { .. } => {
                    " A new authtoken: `scimdesk tunnel set ngrok --authtoken-stdin`."
                }
                _ => "",
            };
            format!("The {tool} tunnel failed: {reason}.{next}{how}")
        }
    }
}

/// A tunnel error as the CLI reports it: the core's reason, and the command that fixes it.
pub fn tunnel_error(e: TunnelError) -> anyhow::Error {
    let how = match &e {
        TunnelError::NotLoopback(_) => "`scimdesk config set listen 127.0.0.1:8742`",
        TunnelError::CloudflaredNoToken => {
            "`scimdesk tunnel set cloudflared --hostname HOST --token-stdin`"
        }
        TunnelError::CloudflaredNoHostname => "add --hostname HOST",
        TunnelError::NgrokNoAuthtoken => "`scimdesk tunnel set ngrok --authtoken-stdin`",
        _ => return e.into(),
    };
    anyhow::anyhow!("{e}: {how}")
}

/// The advice to choose a stable URL, when the URL is not stable or just changed.
pub fn tunnel_advice(status: &TunnelStatus) -> Option<&'static str> {
    (!status.stable || status.url_changed.is_some()).then_some(STABLE_ADVICE)
}

pub fn url_change_message(change: &UrlChange) -> String {
    format!(
        "The public URL changed from {} to {}: update the SCIM connector base URL in Okta \
         (Provisioning > Integration > Edit) for every connection, using the new base URL shown \
         by `scimdesk connection list`.",
        change.from, change.to
    )
}

/// Why a rehearsal says less than it seems to, naming the connection's `provider`.
pub fn rehearsal_note(note: &RehearsalNote, provider: crate::connections::Provider) -> String {
    let who = provider.display_name();
    match note {
        RehearsalNote::TunnelOffline { mode, last_url } => format!(
            "The {mode} tunnel is not online, so this used {}. Start SCIM Desk (`scimdesk serve` \
             or the app) to run the tunnel, and see `scimdesk tunnel status`.",
            match last_url {
                Some(url) => format!("its last known URL, {url}"),
                None => format!("this machine's own address, which {who} cannot reach"),
            }
        ),
        RehearsalNote::NoPublicUrl => format!(
            "No public URL is set, so this went to this machine's own address, which {who} \
             cannot reach. Choose a tunnel with `scimdesk tunnel set` and run it again."
        ),
        RehearsalNote::PlainHttp => {
            format!("The public URL is plain HTTP on this machine; {who} only calls HTTPS URLs.")
        }
    }
}

/// `tunnel status --json`.
#[derive(Debug, Serialize)]
pub struct TunnelStatusJson<'a> {
    pub mode: &'static str,
    pub setting: &'a TunnelSetting,
    pub state: &'a TunnelState,
    pub public_url: &'a str,
    pub reachable_by_okta: bool,
    pub stable: bool,
    pub last_error: Option<&'a str>,
    pub url_changed: Option<UrlChangeJson<'a>>,
    pub message: String,
    pub advice: Option<&'static str>,
    /// `tunnel status --json` only (`status --json` has them beside the tunnel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachability_windows: Option<Vec<WindowJson<'a>>>,
}

impl<'a> TunnelStatusJson<'a> {
    pub fn new(status: &'a TunnelStatus, listen: &str) -> TunnelStatusJson<'a> {
        TunnelStatusJson {
            mode: status.mode,
            setting: &status.setting,
            state: &status.state,
            public_url: &status.public_url,
            reachable_by_okta: status.reachable_by_okta,
            stable: status.stable,
            last_error: status.last_error.as_deref(),
            url_changed: status.url_changed.as_ref().map(UrlChangeJson::new),
            message: tunnel_message(status, listen),
            advice: tunnel_advice(status),
            reachability_windows: None,
        }
    }
}

/// A URL change in `tunnel status --json` and `serve --json`.
#[derive(Debug, Serialize)]
pub struct UrlChangeJson<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub message: String,
}

impl<'a> UrlChangeJson<'a> {
    pub fn new(change: &'a UrlChange) -> UrlChangeJson<'a> {
        UrlChangeJson {
            from: &change.from,
            to: &change.to,
            message: url_change_message(change),
        }
    }
}

/// `connection test --json`.
#[derive(Debug, Serialize)]
pub struct RehearsalJson<'a> {
    pub provider: crate::connections::Provider,
    pub base_url: &'a str,
    pub ok: bool,
    pub steps: &'a [Step],
    pub note: Option<String>,
    pub reachable_by_provider: bool,
}

impl<'a> RehearsalJson<'a> {
    pub fn new(r: &'a Rehearsal) -> RehearsalJson<'a> {
        RehearsalJson {
            provider: r.provider,
            base_url: &r.base_url,
            ok: r.ok,
            steps: &r.steps,
            note: r.note.as_ref().map(|n| rehearsal_note(n, r.provider)),
            reachable_by_provider: r.reachable_by_provider,
        }
    }
}

/// Why Okta could not reach SCIM Desk, as the CLI says it.
pub fn window_cause(window: &Window) -> &'static str {
    match (window.cause, window.clean_stop) {
        (Cause::NotRunning, Some(true)) => "SCIM Desk was not running (it was stopped)",
        (Cause::NotRunning, _) => {
            "SCIM Desk was not running (it did not stop cleanly: killed, crashed or the power \
             was lost)"
        }
        (Cause::Asleep, _) => "the computer was asleep",
        (Cause::OktaOff, _) if window.ended_at.is_none() => {
            "the Okta switch is off (`scimdesk config set okta on` turns it on)"
        }
        (Cause::OktaOff, _) => "the Okta switch was off",
        (Cause::EntraOff, _) if window.ended_at.is_none() => {
            "the Microsoft Entra ID switch is off (`scimdesk config set entra on` turns it on)"
        }
        (Cause::EntraOff, _) => "the Microsoft Entra ID switch was off",
        (Cause::TunnelDown, _) => "the tunnel was down",
        (Cause::PortTaken, _) => "another program held the listen port",
        (Cause::UrlChanged, _) => "the public URL had changed and Okta still had the old one",
    }
}

/// A window's length in whole minutes, rounded.
pub fn window_minutes(window: &Window) -> u64 {
    (window.seconds / 60.0).round() as u64
}

/// A window's length as the CLI says it.
pub fn window_length(window: &Window) -> String {
    let minutes = window_minutes(window);
    let length = match minutes {
        0 => "under a minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        _ => format!("{} h {} min", minutes / 60, minutes % 60),
    };
    match window.ended_at {
        Some(_) => length,
        None => format!("{length} so far"),
    }
}

/// One line on a window: when, how long, why, and the connections it affected.
pub fn window_line(window: &Window) -> String {
    let when = match &window.ended_at {
        Some(end) => format!("{} to {end}", window.started_at),
        None => format!("since {}", window.started_at),
    };
    let names: Vec<&str> = window
        .connections
        .iter()
        .map(|c| c.name.as_deref().unwrap_or("(a deleted connection)"))
        .collect();
    format!(
        "{when} ({}): {}. Connections: {}",
        window_length(window),
        window_cause(window),
        names.join(", ")
    )
}

/// What to do in Okta after a window, in Okta's words.
pub const WINDOW_ADVICE: &str = "Pushes in that time may have failed. In Okta: Dashboard > Tasks, \
     retry the failed provisioning tasks; for pushed groups, Push Groups > Push Now.";

/// A reachability window in `tunnel status --json` and `status --json`.
#[derive(Debug, Serialize)]
pub struct WindowJson<'a> {
    pub id: i64,
    pub cause: Cause,
    pub started_at: &'a str,
    pub ended_at: Option<&'a str>,
    pub seconds: f64,
    pub minutes: u64,
    pub clean_stop: Option<bool>,
    pub connections: &'a [AffectedConnection],
    pub message: String,
}

impl<'a> WindowJson<'a> {
    pub fn new(window: &'a Window) -> WindowJson<'a> {
        WindowJson {
            id: window.id,
            cause: window.cause,
            started_at: &window.started_at,
            ended_at: window.ended_at.as_deref(),
            seconds: window.seconds,
            minutes: window_minutes(window),
            clean_stop: window.clean_stop,
            connections: &window.connections,
            message: window_line(window),
        }
    }
}

/// The Okta switch, as `config show` and `status` print it.
pub fn okta_switch(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off (Okta's requests are refused; nothing is deleted)"
    }
}

pub fn entra_switch(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off (Microsoft Entra ID's requests are refused; nothing is deleted)"
    }
}

/// Whether `serve` keeps the computer awake, as a sentence.
pub fn awake_message(status: &crate::awake::AwakeStatus) -> String {
    use crate::awake::{AwakeProblem, AwakeStatus, NotHeldReason};
    match status {
        AwakeStatus::Held { since } => {
            format!(
                "Keeping the computer awake while an identity provider can provision (since {since})."
            )
        }
        AwakeStatus::NotHeld { reason } => format!(
            "The computer may sleep: {}.",
            match reason {
                NotHeldReason::OptionOff => "keep-awake is off",
                NotHeldReason::NoConnection =>
                    "there is no connection for an identity provider to provision through",
                NotHeldReason::EndpointStopped => "the endpoint is not serving",
                NotHeldReason::OktaOff => "the Okta switch is off",
                NotHeldReason::EntraOff => "the Microsoft Entra ID switch is off",
                NotHeldReason::ProvidersOff =>
                    "the Okta and Microsoft Entra ID switches are both off",
            }
        ),
        AwakeStatus::Failed { problem, detail } => format!(
            "The computer cannot be kept awake: {} ({detail}).",
            match problem {
                AwakeProblem::NoLoginManager =>
                    "this system has no login manager (systemd-logind) to ask",
                AwakeProblem::Refused => "the system refused",
                AwakeProblem::Unsupported => "this system offers no way SCIM Desk knows of",
            }
        ),
    }
}

/// `status`'s line about keeping the computer awake: the option, whether it should be held now
/// and why not, and who holds it as the system lists it.
pub fn keep_awake_line(
    should: Result<(), crate::awake::NotHeldReason>,
    holders: &Result<Option<Vec<u32>>, crate::awake::InhibitError>,
) -> String {
    use crate::awake::{AwakeStatus, NotHeldReason};
    match (should, holders) {
        (Err(NotHeldReason::OptionOff), _) => "off".to_owned(),
        (_, Err(e)) => format!(
            "on, but {}",
            awake_message(&AwakeStatus::Failed {
                problem: e.problem,
                detail: e.detail.clone(),
            })
            .trim_start_matches("The computer cannot be kept awake: ")
        ),
        (Ok(()), Ok(Some(pids))) if pids.is_empty() => {
            "on, and it should be held now, but no SCIM Desk process holds it".to_owned()
        }
        (_, Ok(Some(pids))) if !pids.is_empty() => format!(
            "on: the computer is kept awake (held by process {})",
            pids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Ok(()), _) => "on: the computer is kept awake while this holds".to_owned(),
        (Err(reason), _) => format!(
            "on, not held now: {}",
            awake_message(&AwakeStatus::NotHeld { reason })
                .trim_start_matches("The computer may sleep: ")
        ),
    }
}

/// An Okta API failure as a sentence for the admin. Never names the token. The sentences are the
/// core's (`okta::runs::describe`, which the app shows too), but for those that name a command
/// or an environment variable of the CLI.
pub fn okta_api_error(e: OktaApiError) -> anyhow::Error {
    let sentence = match &e {
        OktaApiError::EmptyToken => "No Okta API token on standard input: pipe it in, e.g. \
             `printf %s \"$OKTA_TOKEN\" | scimdesk connection okta-api NAME --org-url URL \
             --app-id ID --token-stdin`."
            .to_owned(),
        OktaApiError::NotSetUp(name) => format!(
            "The Okta API is not set up for '{name}'. Set it up with `scimdesk connection \
             okta-api {name} --org-url URL --app-id ID --token-stdin`."
        ),
        OktaApiError::TokenMissing(name) => format!(
            "The Okta API token of '{name}' is missing from the keychain. Set it again with \
             `scimdesk connection okta-api {name} --org-url URL --app-id ID --token-stdin`."
        ),
        OktaApiError::Unreachable {
            host,
            failure: TransportFailure::Tls,
            detail,
        } => format!(
            "The secure connection to {host} failed: {detail}. Check the org URL; behind a \
             company proxy that inspects TLS, give its CA in SCIMDESK_EXTRA_CA_FILE."
        ),
        OktaApiError::NoSuchRow(keys) => format!(
            "No row of the reconcile report has the key {}: nothing was changed. Run `scimdesk \
             connection reconcile` without --apply to see the rows and their keys.",
            keys.join(", ")
        ),
        OktaApiError::Store(_)
        | OktaApiError::Keychain(_)
        | OktaApiError::Connection(_)
        | OktaApiError::Https(_) => return e.into(),
        other => crate::okta::runs::describe(other),
    };
    anyhow::anyhow!(sentence)
}

/// A running reconcile's progress as one line: what was read, of about how many, and a wait
/// for Okta's rate limit (its end in UTC, as `HH:MM:SS`).
pub fn reconcile_progress(p: &crate::okta::runs::Progress) -> String {
    let mut line = format!(
        "Reconciling with Okta: {} app users read ({} page{})",
        p.okta_users,
        p.pages,
        if p.pages == 1 { "" } else { "s" }
    );
    if let Some(about) = p.about_total.filter(|a| *a > 0) {
        line.push_str(&format!(", of about {about} (the employees here)"));
    }
    if p.applying {
        line.push_str("; applying the changes");
    }
    if let Some(until) = &p.waiting_until {
        // `2026-12-07T17:22:09.000Z` → `17:22:09`
        let clock = until.get(11..19).unwrap_or(until);
        line.push_str(&format!(
            "; waiting for Okta's rate limit until {clock} UTC"
        ));
    }
    line
}

/// The reconcile report as lines: the counts, then the rows of each kind with their keys (for
/// `--only`), then what applying changed.
pub fn reconcile_lines(r: &ReconcileReport) -> Vec<String> {
    let mut lines = vec![format!(
        "{}: compared {} app users from Okta ({} app {}) with the employees of '{}'.{}",
        if r.dry_run { "Dry run" } else { "Applied" },
        r.okta_users,
        r.org_url,
        r.app_id,
        r.connection_name,
        if r.dry_run {
            " Nothing was changed."
        } else {
            ""
        }
    )];
    if let Some(a) = &r.applied {
        lines.push(format!(
            "Reconciled from Okta: created {}, updated {}, deactivated {}, failed {}. Nobody was \
             deleted; each change is a line of the activity log.",
            a.created,
            a.updated,
            a.deactivated,
            a.failed.len()
        ));
        for f in &a.failed {
            lines.push(format!(
                "  failed                 {} [{}]: {}",
                f.user_name, f.key, f.reason
            ));
        }
        lines.push("The rows of the report below are as they were before applying.".to_owned());
    }
    if r.in_step() {
        lines.push("The directory is in step with Okta.".to_owned());
        return lines;
    }
    let c = &r.counts;
    lines.push(format!(
        "missing here {}, stale here {}, should be deactivated {}, unknown to Okta {}",
        c.missing_here, c.stale_here, c.should_be_deactivated, c.unknown_to_okta
    ));
    for m in &r.missing_here {
        lines.push(format!(
            "  missing here           {} [{}] ({})",
            m.user_name.as_deref().or(m.email.as_deref()).unwrap_or("?"),
            m.okta_user_id,
            m.okta_status.as_deref().unwrap_or("no status")
        ));
    }
    for s in &r.stale_here {
        lines.push(format!(
            "  stale here             {} [{}]: {} is {:?} here, {:?} in Okta",
            s.user_name,
            s.employee_id,
            s.field,
            s.ours.as_deref().unwrap_or(""),
            s.okta.as_deref().unwrap_or("")
        ));
    }
    for d in &r.should_be_deactivated {
        lines.push(format!(
            "  should be deactivated  {} [{}] ({} in Okta)",
            d.user_name,
            d.employee_id,
            d.okta_status.as_deref().unwrap_or("?")
        ));
    }
    for u in &r.unknown_to_okta {
        lines.push(format!(
            "  unknown to Okta        {} [{}] (active here, not assigned to the app in Okta)",
            u.user_name, u.employee_id
        ));
    }
    if r.dry_run {
        lines.push(
            "`--apply` makes the directory match Okta (creates, updates, deactivates; never \
             deletes); `--apply --only KEY` only the rows with that key, in brackets above. Or \
             fix these in Okta (retry its failed tasks, Push Now)."
                .to_owned(),
        );
    }
    lines
}

/// One line of the org chart: name, title and department, status, and the headcount.
fn org_person(p: &crate::directory::orgchart::OrgPerson) -> String {
    use crate::text::visible as v;
    let mut line = v(&p.name).into_owned();
    let about: Vec<String> = [&p.job_title, &p.department]
        .into_iter()
        .flatten()
        .map(|s| v(s).into_owned())
        .collect();
    if !about.is_empty() {
        line.push_str(&format!(" ({})", about.join(", ")));
    }
    if let Some(email) = &p.email {
        line.push_str(&format!(" <{}>", v(email)));
    }
    if p.status != "active" {
        line.push_str(&format!(" [{}]", p.status));
    }
    match p.headcount {
        Some(total) => line.push_str(&format!(" · {} direct, {total} in total", p.direct_reports)),
        None if p.direct_reports > 0 => line.push_str(&format!(" · {} direct", p.direct_reports)),
        None => {}
    }
    line
}

/// The org chart as text: the chain above, the person, the reports below (or the people at the
/// top when no one was chosen), and the managers not in the directory yet.
pub fn org_chart(chart: &crate::directory::orgchart::OrgChartView) -> String {
    use crate::text::visible as v;
    let mut out = String::new();
    let Some(person) = &chart.person else {
        out.push_str(&format!(
            "Top of the organisation ({} with no manager):\n",
            chart.roots_total
        ));
        for p in &chart.roots {
            out.push_str(&format!("  {}\n", org_person(p)));
        }
        if chart.unresolved_managers > 0 {
            out.push_str(&format!(
                "{} manager(s) named by the identity provider are not in the directory yet.\n",
                chart.unresolved_managers
            ));
        }
        return out;
    };
    if chart.chain_capped {
        out.push_str("(the reporting line goes higher)\n");
    }
    if chart.chain_loops {
        out.push_str("(the reporting line loops above this point)\n");
    }
    for (depth, p) in chart.chain.iter().enumerate() {
        out.push_str(&format!("{}{}\n", "  ".repeat(depth), org_person(p)));
    }
    let depth = chart.chain.len();
    if let Some(pending) = &chart.manager_pending {
        out.push_str(&format!(
            "{}manager not in the directory yet: {}\n",
            "  ".repeat(depth),
            v(pending)
        ));
    }
    out.push_str(&format!("{}> {}\n", "  ".repeat(depth), org_person(person)));
    for p in &chart.reports {
        out.push_str(&format!("{}  {}\n", "  ".repeat(depth), org_person(p)));
    }
    if chart.reports_total > chart.reports.len() as u64 {
        out.push_str(&format!(
            "{}  … and {} more\n",
            "  ".repeat(depth),
            chart.reports_total - chart.reports.len() as u64
        ));
    }
    out
}

/// A value in a history line: "—" for none.
fn history_value(v: &Option<String>) -> String {
    match v {
        Some(v) => crate::text::visible(v).into_owned(),
        None => "—".to_owned(),
    }
}

/// One change of a history event: "Job title: Engineer → Senior Engineer", "Groups: added to
/// Sales".
pub fn history_change(c: &crate::directory::history::HistoryChange) -> String {
    match (c.field.as_str(), &c.before, &c.after) {
        ("groups", None, Some(g)) => format!("Groups: added to {}", crate::text::visible(g)),
        ("groups", Some(g), None) => format!("Groups: removed from {}", crate::text::visible(g)),
        _ => format!(
            "{}: {} → {}",
            c.label,
            history_value(&c.before),
            history_value(&c.after)
        ),
    }
}

/// Where a change came from: "Okta push", "Reconcile with Okta", "Mapping change".
fn history_source(e: &crate::directory::history::HistoryEvent) -> String {
    use crate::directory::history::ChangeSource;
    let provider = e
        .provider
        .map(|p| p.display_name())
        .unwrap_or("Identity provider");
    match e.source {
        ChangeSource::Push => format!("{provider} push"),
        ChangeSource::Reconcile => format!("Reconcile with {provider}"),
        ChangeSource::Mapping => "Mapping change".to_owned(),
        ChangeSource::Other => e.method.clone(),
    }
}

/// An employee's history as text, newest first.
pub fn employee_history(
    who: &crate::directory::employees::Employee,
    page: &crate::directory::history::EmployeeHistoryPage,
) -> String {
    use crate::text::visible as v;
    let name = who.display_name.as_deref().unwrap_or(&who.user_name);
    let mut out = format!(
        "History of {} ({}), newest first (kept since {}):\n",
        v(name),
        v(who.email.as_deref().unwrap_or(&who.user_name)),
        page.kept_since
    );
    if page.events.is_empty() {
        out.push_str("  No changes recorded.\n");
    }
    for e in &page.events {
        let connection = e
            .connection_name
            .as_deref()
            .map(|c| format!(", {}", v(c)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} · {} ({}{connection}) · {}\n",
            e.at,
            history_source(e),
            e.method,
            v(&e.summary)
        ));
        for c in &e.changes {
            out.push_str(&format!("    {}\n", history_change(c)));
        }
    }
    out
}

/// An employee's fields at a past time, as text.
pub fn employee_as_of(then: &crate::directory::history::EmployeeAsOf) -> String {
    use crate::directory::history::AsOfState;
    match then.state {
        AsOfState::NotYet => format!(
            "At {} the employee was not in the directory yet (they arrived at {}).\n",
            then.at, then.created_at
        ),
        AsOfState::BeforeHistory => format!(
            "At {} is before the history kept: changes are kept since {} (the activity log's \
             retention).\n",
            then.at, then.kept_since
        ),
        AsOfState::Known => {
            let mut out = format!("As of {}:\n", then.at);
            for f in &then.fields {
                out.push_str(&format!("  {}: {}\n", f.label, history_value(&f.value)));
            }
            let groups = match then.groups.is_empty() {
                true => "—".to_owned(),
                false => then
                    .groups
                    .iter()
                    .map(|g| crate::text::visible(g).into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            out.push_str(&format!("  Groups: {groups}\n"));
            out
        }
    }
}
