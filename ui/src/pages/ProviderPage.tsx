// One identity provider's page under Settings › Integrations (Okta's, Microsoft Entra ID's): its
// switch, its connections and nobody else's, the public URL they share, and how to set the
// provider up, in its own console's words.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { call, type ConnectionView, type Provider } from "../api";
import { IconAlert, IconPlus, ProviderMark } from "../components/Icons";
import { useToast } from "../components/Toasts";
import { PROVIDER_WORDS, providerEnabled } from "../lib/providers";
import { command, commandKey } from "../lib/queries";
import { AddConnectionDialog } from "./AddConnectionDialog";
import { ConnectionCard } from "./ConnectionCard";
import { EntraSetupGuide } from "./EntraSetupGuide";
import { shouldOfferStartAtLogin, StartAtLoginOffer } from "./GeneralSettingsPage";
import { ReachabilitySection } from "./ReachabilitySection";
import { useProviderSwitch } from "./providerSwitch";
import { SetupGuide } from "./SetupGuide";
import { TunnelCard } from "./TunnelCard";

export function ProviderPage({ provider }: { provider: Provider }) {
  const client = useQueryClient();
  const { data: overview } = useQuery(command("overview"));
  const { data: connections } = useQuery(command("list_connections"));
  const { data: tunnel } = useQuery(command("tunnel_status"));
  const [adding, setAdding] = useState(false);
  const [newId, setNewId] = useState<string | null>(null);
  const [offerLogin, setOfferLogin] = useState(false);
  const addRef = useRef<HTMLButtonElement>(null);
  const { toast } = useToast();
  const sw = useProviderSwitch(provider);
  const words = PROVIDER_WORDS[provider];
  const enabled = overview ? providerEnabled(overview, provider) : true;
  const list = connections?.filter((c) => c.provider === provider) ?? [];

  const added = async (c: ConnectionView) => {
    // With the first connection, the provider depends on this computer: ask (once) whether
    // SCIM Desk should start at login; never turned on without the admin's Yes. Asked before
    // the dialog closes, so that the question comes with the new row, not after it.
    const offer = await call("general_settings").then(shouldOfferStartAtLogin, () => false);
    setOfferLogin(offer);
    setAdding(false);
    setNewId(c.id);
    toast(`Connection "${c.name}" created. ${c.token_kept ? words.copyHint : `Paste the ${words.baseUrlInText} and the ${words.tokenInText} you copied into ${words.short}.`}`);
    // Shown at once; the change event that follows refreshes the rest.
    client.setQueryData(commandKey("list_connections"), (all: ConnectionView[] | undefined) =>
      all && !all.some((x) => x.id === c.id) ? [...all, c] : all,
    );
  };

  const deleted = (c: ConnectionView) => {
    if (newId === c.id) setNewId(null);
    toast(`Deleted "${c.name}". ${words.name} no longer syncs through it; its employees stay in the directory.`);
    // The row (and the menu button focus would return to) is gone: continue from Add Connection.
    client.setQueryData(commandKey("list_connections"), (all: ConnectionView[] | undefined) =>
      all?.filter((x) => x.id !== c.id),
    );
    addRef.current?.focus();
  };

  const addButton = (big = false) => (
    <button
      ref={big ? undefined : addRef}
      type="button"
      className={`button button-primary${big ? " button-large" : ""}`}
      onClick={() => setAdding(true)}
      data-testid={big ? "add-connection-empty" : "add-connection"}
    >
      <IconPlus />
      <span>Add Connection</span>
    </button>
  );

  return (
    <div className="page" data-testid={`${provider}-page`}>
      <header className="page-header">
        <div className="page-header-main">
          <nav className="breadcrumb" aria-label="Breadcrumb">
            <ol>
              <li><a href="#/settings/integrations">Settings</a></li>
              <li><a href="#/settings/integrations">Integrations</a></li>
              <li aria-current="page">{words.name}</li>
            </ol>
          </nav>
          <div className="title-with-mark">
            <ProviderMark provider={provider} size={36} />
            <div>
              <h1 className="page-title">{words.name}</h1>
              <p className="page-lede">{words.lede}</p>
            </div>
          </div>
        </div>
        <div className="page-actions">{addButton()}</div>
      </header>

      {overview && !enabled && (
        <div className="banner banner-info inline-banner" data-testid={`${provider}-off-banner`} role="status">
          <span className="banner-icon"><IconAlert /></span>
          <div className="banner-body">
            <p className="banner-title">The {words.name} integration is off</p>
            <p>SCIM Desk refuses {words.name}'s requests until you turn it on. Your connections and employees are kept.</p>
          </div>
          <button type="button" className="button button-primary" onClick={() => sw.request(true)} disabled={sw.busy}>
            Turn on
          </button>
        </div>
      )}

      <TunnelCard tunnel={tunnel ?? null} provider={provider} />

      <section className="section" aria-labelledby="connections-title">
        <div className="section-head">
          <h2 id="connections-title" className="section-title">Connections</h2>
          {list.length > 0 && <span className="count-badge">{list.length}</span>}
        </div>
        {connections === undefined ? (
          <p className="muted">Loading connections…</p>
        ) : list.length === 0 ? (
          <div className="empty-state empty-card" data-testid="connections-empty">
            <ProviderMark provider={provider} size={48} />
            <h3 className="empty-title">No connections yet</h3>
            {provider === "okta" ? (
              <p>
                A connection is the link between one Okta org and SCIM Desk. Adding one gives you a base
                URL and a secret token; you paste both into Okta's provisioning settings, and Okta starts
                sending new hires, profile changes and deactivations here.
              </p>
            ) : (
              <p>
                A connection is the link between one enterprise application in your Microsoft Entra tenant
                and SCIM Desk. Adding one gives you a Tenant URL and a Secret Token; you paste both into the
                application's provisioning settings, and Entra starts sending the people assigned to it here.
              </p>
            )}
            {addButton(true)}
          </div>
        ) : (
          <div className="connection-list">
            {list.map((c) => (
              <ConnectionCard key={c.id} connection={c} highlighted={c.id === newId} onDeleted={deleted} />
            ))}
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="mapping-link-title" data-testid="mapping-link-section">
        <div className="section-head">
          <h2 id="mapping-link-title" className="section-title">Attribute mapping</h2>
        </div>
        <div className="card mapping-link-card">
          <p className="card-lede">
            Which of {words.name}'s attributes fills each directory field (job title, department, manager…), and custom fields of
            your own, such as a cost center.
          </p>
          <a className="button" href={`${words.href}/mapping`} data-testid="open-mapping">
            Edit attribute mapping
          </a>
        </div>
      </section>

      {/* The reachability windows are worded for Okta (its switch, its console's retries). */}
      {provider === "okta" && <ReachabilitySection />}

      {provider === "okta" ? <SetupGuide connections={list} /> : <EntraSetupGuide connections={list} />}

      {adding && <AddConnectionDialog provider={provider} onClose={() => setAdding(false)} onAdded={(c) => void added(c)} />}
      {sw.dialog}
      {offerLogin && !adding && <StartAtLoginOffer onDone={() => setOfferLogin(false)} />}
    </div>
  );
}
