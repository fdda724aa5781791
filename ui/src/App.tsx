import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { DiskFullBanner, EndpointBanner, ReachabilityBanner, RederiveBanner, UrlChangedBanner } from "./components/Banners";
import { Sidebar } from "./components/Sidebar";
import { ToastProvider } from "./components/Toasts";
import { errorMessage } from "./lib/errors";
import { command, DataProvider } from "./lib/queries";
import { defaultRoute, href, type Route } from "./lib/route";
import { navigate, useRoute } from "./lib/useRoute";
import { ActivityLogSettingsPage } from "./pages/ActivityLogSettingsPage";
import { ActivityPage } from "./pages/ActivityPage";
import { EmployeeDetailPage } from "./pages/EmployeeDetailPage";
import { EmployeesPage } from "./pages/EmployeesPage";
import { GeneralSettingsPage } from "./pages/GeneralSettingsPage";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { OrgChartPage } from "./pages/OrgChartPage";
import { MappingPage } from "./pages/MappingPage";
import { ProviderPage } from "./pages/ProviderPage";

export function App() {
  return (
    <ToastProvider>
      <DataProvider>
        <Shell />
      </DataProvider>
    </ToastProvider>
  );
}

const TITLES: Partial<Record<Route["page"], string>> = {
  employees: "Employees",
  employee: "Employee",
  org: "Org chart",
  activity: "Activity",
  integrations: "Integrations",
  okta: "Okta",
  entra: "Microsoft Entra ID",
  mapping: "Attribute mapping",
  "activity-log": "Activity log",
  general: "General",
  notifications: "Notifications",
};

function Shell() {
  const route = useRoute();
  const { data: overview, error } = useQuery(command("overview"));
  const loadError = error ? errorMessage(error) : null;
  const main = useRef<HTMLElement>(null);

  // The empty hash goes to Okta until a connection exists, then to Employees.
  useEffect(() => {
    if (route.page === "home" && overview) navigate(href(defaultRoute(overview.connection_count)), true);
  }, [route.page, overview]);

  // A new screen starts at its top, and keyboard and screen-reader users start at its content.
  const path = href(route);
  const shownPath = useRef<string | null>(null);
  useEffect(() => {
    const t = TITLES[route.page];
    document.title = t ? `${t} · SCIM Desk` : "SCIM Desk";
    const moved = shownPath.current !== null && shownPath.current !== "#/" && shownPath.current !== path;
    shownPath.current = path;
    if (!moved) return; // the first screen, or the same one again
    main.current?.scrollTo({ top: 0 });
    if (route.page !== "home") main.current?.focus({ preventScroll: true });
  }, [path, route.page]);

  return (
    <div className="app" data-testid={overview ? "app-ready" : "app-loading"}>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <Sidebar route={route} />
      <main className="content" id="main" ref={main} tabIndex={-1}>
        <div className="banners">
          <DiskFullBanner />
          <EndpointBanner />
          <UrlChangedBanner />
          <ReachabilityBanner />
          {/* The mapping page shows its own progress. */}
          {route.page !== "mapping" && <RederiveBanner />}
        </div>
        {loadError && !overview ? (
          <div className="page">
            <div className="empty-state" role="alert">
              <h1 className="empty-title">SCIM Desk couldn't load its data</h1>
              <p>The app's background service didn't answer. Restart SCIM Desk; if this keeps happening, the message below helps support.</p>
              <p className="mono small">{loadError}</p>
              <button type="button" className="button" onClick={() => window.location.reload()}>
                Try again
              </button>
            </div>
          </div>
        ) : (
          <Page route={route} />
        )}
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home":
      return <div className="page" aria-busy="true" />;
    case "employees":
      return <EmployeesPage />;
    case "employee":
      return <EmployeeDetailPage key={route.id} id={route.id} />;
    case "org":
      return <OrgChartPage id={route.id} />;
    case "activity":
      return <ActivityPage />;
    case "integrations":
      return <IntegrationsPage />;
    case "okta":
      return <ProviderPage key="okta" provider="okta" />;
    case "entra":
      return <ProviderPage key="entra" provider="entra" />;
    case "mapping":
      return <MappingPage key={route.provider} provider={route.provider} />;
    case "activity-log":
      return <ActivityLogSettingsPage />;
    case "general":
      return <GeneralSettingsPage />;
    case "notifications":
      return <NotificationsPage />;
    case "not-found":
      return (
        <div className="page">
          <div className="empty-state">
            <h1 className="empty-title">There's nothing at this address</h1>
            <p>
              <a href="#/employees">Go to Employees</a>
            </p>
          </div>
        </div>
      );
  }
}
