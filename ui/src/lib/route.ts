// Hash routes: the app is one window, so the hash is the whole of its navigation state.
import type { Provider } from "../api";

export type Route =
  | { page: "home" } // no hash yet: resolved to Okta or Employees once the overview is known
  | { page: "employees" }
  | { page: "employee"; id: string }
  | { page: "org"; id: string | null }
  | { page: "activity" }
  | { page: "integrations" }
  | { page: "okta" }
  | { page: "entra" }
  | { page: "mapping"; provider: Provider } // a provider's attribute mapping
  | { page: "activity-log" }
  | { page: "general" }
  | { page: "notifications" }
  | { page: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "");
  if (path === "" || path === "/") return { page: "home" };
  const parts = path.replace(/^\//, "").split("/");
  switch (parts[0]) {
    case "employees":
      if (parts.length === 1) return { page: "employees" };
      if (parts.length === 2 && parts[1]) return { page: "employee", id: decodeURIComponent(parts[1]) };
      break;
    case "org":
      if (parts.length === 1) return { page: "org", id: null };
      if (parts.length === 2 && parts[1]) return { page: "org", id: decodeURIComponent(parts[1]) };
      break;
    case "activity":
      if (parts.length === 1) return { page: "activity" };
      break;
    case "settings":
      if (parts.length === 1) return { page: "integrations" };
      if (parts[1] === "integrations" && parts.length === 2) return { page: "integrations" };
      if (parts[1] === "integrations" && parts[2] === "okta" && parts.length === 3) return { page: "okta" };
      if (parts[1] === "integrations" && parts[2] === "entra" && parts.length === 3) return { page: "entra" };
      if (parts[1] === "integrations" && (parts[2] === "okta" || parts[2] === "entra") && parts[3] === "mapping" && parts.length === 4)
        return { page: "mapping", provider: parts[2] };
      if (parts[1] === "activity-log" && parts.length === 2) return { page: "activity-log" };
      if (parts[1] === "general" && parts.length === 2) return { page: "general" };
      if (parts[1] === "notifications" && parts.length === 2) return { page: "notifications" };
      break;
  }
  return { page: "not-found", path };
}

export function href(route: Route): string {
  switch (route.page) {
    case "home":
      return "#/";
    case "employees":
      return "#/employees";
    case "employee":
      return `#/employees/${encodeURIComponent(route.id)}`;
    case "org":
      return route.id ? `#/org/${encodeURIComponent(route.id)}` : "#/org";
    case "activity":
      return "#/activity";
    case "integrations":
      return "#/settings/integrations";
    case "okta":
      return "#/settings/integrations/okta";
    case "entra":
      return "#/settings/integrations/entra";
    case "mapping":
      return `#/settings/integrations/${route.provider}/mapping`;
    case "activity-log":
      return "#/settings/activity-log";
    case "general":
      return "#/settings/general";
    case "notifications":
      return "#/settings/notifications";
    case "not-found":
      return `#${route.path}`;
  }
}

/** Where an admin lands: set up Okta first when there is nothing to show yet. */
export function defaultRoute(connectionCount: number): Route {
  return connectionCount === 0 ? { page: "okta" } : { page: "employees" };
}
