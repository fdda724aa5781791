// Settings › General: starting SCIM Desk at login (the system's own login entry, read back each
// time), and keeping the computer awake while Okta or Microsoft Entra ID can provision.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call, type AwakeStatus, type GeneralSettings } from "../api";
import { Switch, Time } from "../components/bits";
import { ConfirmDialog } from "../components/Dialog";
import { IconSettings } from "../components/Icons";
import { SettingsPage } from "../components/SettingsPage";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { command, commandKey } from "../lib/queries";

export function GeneralSettingsPage() {
  const settings = useQuery(command("general_settings"));
  return (
    <SettingsPage
      title="General"
      lede={
        <>
          Okta and Microsoft Entra ID can only reach SCIM Desk while it runs and this computer is awake. These keep it
          reachable.
        </>
      }
      settings={settings}
    >
      {(data) => <GeneralCards settings={data} />}
    </SettingsPage>
  );
}

function GeneralCards({ settings }: { settings: GeneralSettings }) {
  const client = useQueryClient();
  const { toast } = useToast();
  const [busy, setBusy] = useState<"login" | "awake" | null>(null);

  const change = async (what: "login" | "awake", enabled: boolean) => {
    setBusy(what);
    try {
      const next =
        what === "login" ? await call("set_start_at_login", { enabled }) : await call("set_keep_awake", { enabled });
      client.setQueryData(commandKey("general_settings"), next);
      if (what === "login") {
        toast(enabled ? "SCIM Desk will start in the tray when you log in." : "SCIM Desk will no longer start when you log in.");
      }
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <section className="card" data-testid="start-at-login-card" aria-labelledby="login-title">
        <div className="card-head">
          <div className="card-head-title">
            <span className="card-icon"><IconSettings /></span>
            <h2 id="login-title" className="card-title">Start at login</h2>
          </div>
          <Switch
            checked={settings.start_at_login}
            onChange={(on) => void change("login", on)}
            label="Start SCIM Desk when I log in"
            disabled={busy === "login"}
            testid="start-at-login"
          />
        </div>
        <p className="card-lede">
          SCIM Desk starts in the tray, without opening its window, so that your identity provider can reach it as soon as you log in.
        </p>
        {settings.start_at_login_error && (
          <p className="field-error" role="alert" data-testid="start-at-login-error">
            SCIM Desk couldn't read the list of programs started at login: {settings.start_at_login_error}
          </p>
        )}
      </section>

      <section className="card" data-testid="keep-awake-card" aria-labelledby="awake-title">
        <div className="card-head">
          <div className="card-head-title">
            <span className="card-icon"><IconSettings /></span>
            <h2 id="awake-title" className="card-title">Keep this computer awake</h2>
          </div>
          <Switch
            checked={settings.keep_awake}
            onChange={(on) => void change("awake", on)}
            label="Keep this computer awake while Okta or Microsoft Entra ID can provision"
            disabled={busy === "awake"}
            testid="keep-awake"
          />
        </div>
        <p className="card-lede">
          While at least one connection exists, the endpoint runs and that connection's integration (Okta or Microsoft
          Entra ID) is on, SCIM Desk asks the system not to sleep. A sleeping computer makes their pushes fail. The
          screen may still turn off.
        </p>
        <p className={`awake-state awake-${settings.awake.state}`} data-testid="awake-state" role="status">
          {awakeText(settings.awake, settings.keep_awake)}
        </p>
      </section>
    </>
  );
}

/** What the admin reads about the sleep inhibitor. */
export function awakeText(awake: AwakeStatus, optionOn: boolean) {
  switch (awake.state) {
    case "held":
      return (
        <>
          Keeping this computer awake since <Time iso={awake.since} />.
        </>
      );
    case "not_held":
      switch (awake.reason) {
        case "option_off":
          return optionOn ? "Starting…" : "Off: this computer sleeps as its power settings say.";
        case "no_connection":
          return "Not now: there is no connection yet, so nothing can be provisioned.";
        case "endpoint_stopped":
          return "Not now: the endpoint isn't running, so no identity provider can reach SCIM Desk anyway.";
        case "okta_off":
          return "Not now: the Okta integration is off, so SCIM Desk refuses Okta's requests anyway.";
        case "entra_off":
          return "Not now: the Microsoft Entra ID integration is off, so SCIM Desk refuses Entra's requests anyway.";
        case "providers_off":
          return "Not now: the Okta and Microsoft Entra ID integrations are both off, so SCIM Desk refuses their requests anyway.";
      }
      break;
    case "failed":
      switch (awake.problem) {
        case "no_login_manager":
          return `This computer can't be kept awake: it has no login manager (systemd-logind) that SCIM Desk can ask. Set its power settings so that it doesn't sleep while Okta may provision. (${awake.detail})`;
        case "refused":
          return `The system refused to keep this computer awake: ${awake.detail}`;
        case "unsupported":
          return "SCIM Desk can't keep this kind of computer awake. Set its power settings so that it doesn't sleep while Okta may provision.";
      }
  }
  return null;
}

/**
 * After the first connection: asks once whether SCIM Desk should start at login. Nothing is turned
 * on without a Yes; either answer (or closing the question) means it is not asked again.
 */
export function StartAtLoginOffer({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const { toast } = useToast();
  const answer = async (yes: boolean) => {
    try {
      const next = yes ? await call("set_start_at_login", { enabled: true }) : await call("start_at_login_offered");
      client.setQueryData(commandKey("general_settings"), next);
      if (yes) toast("SCIM Desk will start in the tray when you log in. You can change this in Settings › General.");
    } catch (e) {
      toast(errorMessage(e), "error");
    }
    onDone();
  };
  return (
    <ConfirmDialog
      title="Start SCIM Desk when you log in?"
      confirmLabel="Yes"
      cancelLabel="Not now"
      onConfirm={() => answer(true)}
      onCancel={() => void answer(false)}
      testid="start-at-login-offer"
      confirmTestid="start-at-login-yes"
      cancelTestid="start-at-login-not-now"
    >
      <p>
        Okta can only reach SCIM Desk while it runs. SCIM Desk can start in the tray, without opening its window,
        each time you log in to this computer. You can change this later in Settings › General.
      </p>
    </ConfirmDialog>
  );
}

/** Whether to ask now: never asked, and not already on. */
export function shouldOfferStartAtLogin(g: GeneralSettings | undefined): boolean {
  return !!g && !g.start_at_login_offered && !g.start_at_login;
}
