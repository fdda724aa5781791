import { useQuery } from "@tanstack/react-query";
import { command } from "../lib/queries";
import type { Route } from "../lib/route";
import { IconActivity, IconOrgChart, IconPeople, IconSettings } from "./Icons";

export function Sidebar({ route }: { route: Route }) {
  const { data: overview } = useQuery(command("overview"));
  const inSettings = route.page === "integrations" || route.page === "okta" || route.page === "entra" || route.page === "mapping" || route.page === "activity-log" || route.page === "general" || route.page === "notifications";
  const current = (on: boolean) => (on ? { "aria-current": "page" as const } : {});
  const endpoint = overview?.endpoint;

  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <svg width="24" height="24" viewBox="0 0 24 24" focusable="false">
            <rect width="24" height="24" rx="6" className="brand-mark-bg" />
            <path d="M7 9.5h10M7 14.5h6" className="brand-mark-fg" strokeWidth="2.2" strokeLinecap="round" />
          </svg>
        </span>
        <span className="brand-name">SCIM Desk</span>
      </div>
      <ul className="nav">
        <li>
          <a href="#/employees" className="nav-link" data-testid="nav-employees" {...current(route.page === "employees" || route.page === "employee")}>
            <IconPeople />
            <span>Employees</span>
          </a>
        </li>
        <li>
          <a href="#/org" className="nav-link" data-testid="nav-org" {...current(route.page === "org")}>
            <IconOrgChart />
            <span>Org chart</span>
          </a>
        </li>
        <li>
          <a href="#/activity" className="nav-link" data-testid="nav-activity" {...current(route.page === "activity")}>
            <IconActivity />
            <span>Activity</span>
          </a>
        </li>
        <li>
          <a href="#/settings/integrations" className={`nav-link${inSettings ? " is-open" : ""}`} data-testid="nav-settings" {...current(route.page === "integrations")}>
            <IconSettings />
            <span>Settings</span>
          </a>
          {inSettings && (
            <ul className="subnav">
              <li>
                <a href="#/settings/general" className="nav-link nav-sublink" data-testid="nav-general" {...current(route.page === "general")}>
                  General
                </a>
              </li>
              <li>
                <a href="#/settings/integrations" className="nav-link nav-sublink" {...current(route.page === "integrations")}>
                  Integrations
                </a>
              </li>
              <li>
                <a href="#/settings/integrations/okta" className="nav-link nav-sublink nav-subsub" {...current(route.page === "okta" || (route.page === "mapping" && route.provider === "okta"))}>
                  Okta
                </a>
              </li>
              <li>
                <a href="#/settings/integrations/entra" className="nav-link nav-sublink nav-subsub" data-testid="nav-entra" {...current(route.page === "entra" || (route.page === "mapping" && route.provider === "entra"))}>
                  Microsoft Entra ID
                </a>
              </li>
              <li>
                <a href="#/settings/activity-log" className="nav-link nav-sublink" data-testid="nav-activity-log" {...current(route.page === "activity-log")}>
                  Activity log
                </a>
              </li>
              <li>
                <a href="#/settings/notifications" className="nav-link nav-sublink" data-testid="nav-notifications" {...current(route.page === "notifications")}>
                  Notifications
                </a>
              </li>
            </ul>
          )}
        </li>
      </ul>
      <div className="sidebar-footer">
        {endpoint && (
          <div className={`endpoint-state endpoint-${endpoint.state}`}>
            <p className="endpoint-line">
              <span className="dot" aria-hidden="true" />
              <span>
                {endpoint.state === "serving"
                  ? "Endpoint running"
                  : endpoint.state === "starting"
                    ? "Endpoint starting…"
                    : "Endpoint stopped"}
              </span>
            </p>
            <p className="endpoint-addr mono">{endpoint.listen}</p>
          </div>
        )}
      </div>
    </nav>
  );
}
