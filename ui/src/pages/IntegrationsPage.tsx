import { Switch } from "../components/bits";
import { IconChevronRight, OktaMark } from "../components/Icons";
import { useQuery } from "@tanstack/react-query";
import { command } from "../lib/queries";
import { navigate } from "../lib/useRoute";
import { oktaStatusText, useOktaSwitch } from "./oktaSwitch";

export function IntegrationsPage() {
  const { data: overview } = useQuery(command("overview"));
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
