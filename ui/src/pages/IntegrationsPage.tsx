import { useQuery } from "@tanstack/react-query";
import type { Provider } from "../api";
import { Switch } from "../components/bits";
import { IconChevronRight, ProviderMark } from "../components/Icons";
import { PROVIDER_WORDS, PROVIDERS, providerConnections, providerEnabled } from "../lib/providers";
import { command } from "../lib/queries";
import { navigate } from "../lib/useRoute";
import { providerStatusText, useProviderSwitch } from "./providerSwitch";

export function IntegrationsPage() {
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
          {PROVIDERS.map((p) => (
            <IntegrationCard key={p} provider={p} />
          ))}
        </div>
      </section>
    </div>
  );
}

/** One identity provider: its switch, whether it is on and with how many connections, and the
 *  way to its page (the whole card opens it). Test ids carry the provider: `entra-card`. */
function IntegrationCard({ provider }: { provider: Provider }) {
  const { data: overview } = useQuery(command("overview"));
  const sw = useProviderSwitch(provider);
  const words = PROVIDER_WORDS[provider];
  const enabled = overview ? providerEnabled(overview, provider) : false;
  const count = overview ? providerConnections(overview, provider) : 0;

  return (
    <>
      <div className="integration-card" data-testid={`${provider}-card`} onClick={() => navigate(words.href)}>
        <div className="integration-card-top">
          <ProviderMark provider={provider} />
          <Switch
            checked={enabled}
            onChange={sw.request}
            disabled={!overview || sw.busy}
            label={`${words.name} integration`}
            hideLabel
            testid={`${provider}-toggle`}
          />
        </div>
        <h3 className="integration-name">
          <a href={words.href} onClick={(e) => e.stopPropagation()}>
            {words.name}
          </a>
        </h3>
        <p className="integration-desc">{words.description}</p>
        <div className="integration-card-foot">
          <span className={`status-text ${enabled ? "is-on" : "is-off"}`} data-testid={`${provider}-status`}>
            {overview ? providerStatusText(enabled, count) : "…"}
          </span>
          <span className="integration-open" aria-hidden="true">
            Manage <IconChevronRight />
          </span>
        </div>
      </div>
      {/* Beside the card, not in it: a click in the dialog must not open the provider's page. */}
      {sw.dialog}
    </>
  );
}
