// What several screens and the banners share: the overview, the connections and the tunnel.
// Loaded once for the window and kept fresh by change events.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, type ConnectionView, type Overview, type TunnelStatus } from "../api";
import { errorMessage } from "./errors";
import { subscribe, touches } from "./live";

export type AppData = {
  overview: Overview | null;
  connections: ConnectionView[] | null;
  tunnel: TunnelStatus | null;
  /** The first load failed: the backend is unreachable or broken. */
  loadError: string | null;
  setOverview: (o: Overview) => void;
  setTunnel: (t: TunnelStatus) => void;
  reloadConnections: () => Promise<void>;
  reloadOverview: () => Promise<void>;
};

const Ctx = createContext<AppData | null>(null);

export function useAppData(): AppData {
  const v = useContext(Ctx);
  if (!v) throw new Error("useAppData outside AppDataProvider");
  return v;
}

export function AppDataProvider({ children }: { children: ReactNode }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [connections, setConnections] = useState<ConnectionView[] | null>(null);
  const [tunnel, setTunnel] = useState<TunnelStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const reloadOverview = useCallback(
    () => api.overview().then(setOverview, (e) => setLoadError(errorMessage(e))),
    [],
  );
  const reloadConnections = useCallback(
    () => api.listConnections().then(setConnections, (e) => setLoadError(errorMessage(e))),
    [],
  );
  const reloadTunnel = useCallback(() => api.tunnelStatus().then(setTunnel, () => {}), []);

  useEffect(() => {
    void reloadOverview();
    void reloadConnections();
    void reloadTunnel();
    return subscribe((events) => {
      if (touches(events, ["settings", "endpoint", "connections", "employee", "disk", "reload"])) void reloadOverview();
      // Last contact changes with every request Okta makes, which is logged as activity.
      if (touches(events, ["connections", "activity", "tunnel", "reload"])) void reloadConnections();
      if (touches(events, ["tunnel", "settings", "reload"])) void reloadTunnel();
    });
  }, [reloadOverview, reloadConnections, reloadTunnel]);

  const value = useMemo(
    () => ({ overview, connections, tunnel, loadError, setOverview, setTunnel, reloadConnections, reloadOverview }),
    [overview, connections, tunnel, loadError, reloadConnections, reloadOverview],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
