// How far the re-derive after a mapping change is, app-wide: the core sends a `rederive` change
// event when it starts, after every batch and when it ends. The mapping page shows a progress
// bar, the Employees page a banner, and the end is a toast wherever the admin is.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { onChange, type Provider, type RederiveProgress } from "../api";
import { useToast } from "../components/Toasts";
import { formatCount, plural } from "./format";
import { PROVIDER_WORDS } from "./providers";

export type Rederive = {
  provider: Provider;
  done: number;
  total: number;
  finished: boolean;
  /** How many employees' fields the re-derive changed, when the core says. */
  changed: number | null;
};

type Runs = Partial<Record<Provider, Rederive>>;
type Api = { runs: Runs; seed: (p: RederiveProgress) => void };

const Ctx = createContext<Api>({ runs: {}, seed: () => {} });

/** "Okta's mapping is applied: 5,000 employees re-derived; 312 changed." */
export function rederiveResult(r: Rederive): string {
  const changed = r.changed === null ? "" : `; ${formatCount(r.changed)} changed`;
  return `${PROVIDER_WORDS[r.provider].name}'s mapping is applied: ${plural(r.total, "employee")} re-derived${changed}.`;
}

/** "1,234 of 5,000" */
export function rederiveCount(r: Rederive): string {
  return `${formatCount(Math.min(r.done, r.total))} of ${formatCount(r.total)}`;
}

export function RederiveProvider({ children }: { children: ReactNode }) {
  const [runs, setRuns] = useState<Runs>({});
  const { toast } = useToast();

  useEffect(() => {
    let stop: (() => void) | null = null;
    let gone = false;
    onChange((e) => {
      if (e.kind !== "rederive") return;
      const changed = "changed" in e && typeof e.changed === "number" ? e.changed : null;
      const run: Rederive = { provider: e.provider, done: e.done, total: e.total, finished: e.finished, changed };
      setRuns((rs) => ({ ...rs, [e.provider]: run }));
      if (e.finished) toast(rederiveResult(run));
    }).then(
      (unlisten) => (gone ? unlisten() : (stop = unlisten)),
      () => {},
    );
    return () => {
      gone = true;
      stop?.();
    };
  }, [toast]);

  // A re-derive already under way when a page first asks (the app opened in the middle of one).
  const seed = useCallback((p: RederiveProgress) => {
    setRuns((rs) => (rs[p.provider] ? rs : { ...rs, [p.provider]: { ...p, finished: false, changed: null } }));
  }, []);

  const api = useMemo(() => ({ runs, seed }), [runs, seed]);
  return <Ctx.Provider value={api}>{children}</Ctx.Provider>;
}

/** The re-derive of `provider` (running or last finished), or of any provider still running. */
export function useRederive(provider?: Provider): Rederive | null {
  const { runs } = useContext(Ctx);
  if (provider) return runs[provider] ?? null;
  return Object.values(runs).find((r) => r && !r.finished) ?? null;
}

export function useSeedRederive(progress: RederiveProgress | null | undefined) {
  const { seed } = useContext(Ctx);
  useEffect(() => {
    if (progress) seed(progress);
  }, [progress, seed]);
}
