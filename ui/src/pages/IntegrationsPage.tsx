import { useState } from "react";
import { api } from "../api";
import { Switch } from "../components/bits";
import { ConfirmDialog } from "../components/Dialog";
import { IconChevronRight, OktaMark } from "../components/Icons";
import { useToast } from "../components/Toasts";
import { useAppData } from "../lib/appData";
import { errorMessage } from "../lib/errors";
import { plural } from "../lib/format";
import { navigate } from "../lib/useRoute";

export function oktaStatusText(enabled: boolean, connections: number): string {
  return enabled ? `On · ${plural(connections, "connection")}` : "Off";
}

/** Turns the Okta integration on or off; turning it off asks first. Shared with the Okta page. */
export function useOktaSwitch() {
  const { setOverview } = useAppData();
  const { toast } = useToast();
  const [confirmOff, setConfirmOff] = useState(false);
  const [busy, setBusy] = useState(false);

  const set = async (enabled: boolean) => {
    setBusy(true);
    try {
      setOverview(await api.setOktaEnabled(enabled));
      toast(enabled ? "Okta integration turned on." : "Okta integration turned off. Okta's requests are refused until you turn it back on.");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  };

  const request = (enabled: boolean) => (enabled ? void set(true) : setConfirmOff(true));

  const dialog = confirmOff ? (
    <ConfirmDialog
      title="Turn off the Okta integration?"
      confirmLabel="Turn off"
      danger
      onCancel={() => setConfirmOff(false)}
      onConfirm={async () => {
        await set(false);
        setConfirmOff(false);
      }}
      testid="okta-off-dialog"
      confirmTestid="confirm-okta-off"
      cancelTestid="cancel-okta-off"
    >
      <p>Okta's requests will be refused until you turn it back on. Nothing is deleted.</p>
    </ConfirmDialog>
  ) : null;

  return { request, busy, dialog };
}

export function IntegrationsPage() {
  const { overview } = useAppData();
  const sw = useOktaSwitch();
  const enabled = overview?.okta_enabled ?? false;
  const count = overview?.connection_count ?? 0;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <p className="breadcrumb" aria-label="Breadcrumb">Settings</p>
          <h1 className="page-title">Integrations</h1>
          <p className="page-lede">Connect SCIM Desk to the systems that keep your employee records.</p>
        </div>
      </header>

      <section className="section" aria-labelledby="hris-title">
        <h2 id="hris-title" className="section-title">HRIS</h2>
        <p className="section-lede">Systems that create, update and deactivate employees in your directory.</p>
        <div className="integration-grid">
          <div
            className="integration-card"
            data-testid="okta-card"
            onClick={() => navigate("#/settings/integrations/okta")}
          >
            <div className="integration-card-top">
              <OktaMark />
              <Switch
                checked={enabled}
                onChange={sw.request}
                disabled={!overview || sw.busy}
                label="Okta integration"
                hideLabel
                testid="okta-toggle"
              />
            </div>
            <h3 className="integration-name">
              <a href="#/settings/integrations/okta" onClick={(e) => e.stopPropagation()}>
                Okta
              </a>
            </h3>
            <p className="integration-desc">
              Okta pushes new hires, profile changes and deactivations to SCIM Desk over SCIM 2.0.
            </p>
            <div className="integration-card-foot">
              <span className={`status-text ${enabled ? "is-on" : "is-off"}`} data-testid="okta-status">
                {overview ? oktaStatusText(enabled, count) : "…"}
              </span>
              <span className="integration-open" aria-hidden="true">
                Manage <IconChevronRight />
              </span>
            </div>
          </div>
        </div>
      </section>
      {sw.dialog}
    </div>
  );
}
