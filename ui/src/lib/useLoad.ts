import { useCallback, useEffect, useRef, useState } from "react";
import type { ChangeKind } from "./live";
import { useChanges } from "./live";
import { errorMessage } from "./errors";

export type Load<T> = {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
};

/**
 * Fetches on mount and whenever `deps` change, and again (quietly, keeping what is on screen)
 * after changes of the given kinds. Answers that arrive out of order are dropped.
 */
export function useLoad<T>(
  fetcher: () => Promise<T>,
  deps: readonly unknown[],
  kinds: readonly ChangeKind[],
): Load<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  const run = useCallback((quiet: boolean) => {
    const mine = ++seq.current;
    if (!quiet) setLoading(true);
    fetcherRef.current().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== seq.current) return;
        setError(errorMessage(e));
        setLoading(false);
      },
    );
  }, []);

  // `deps` stand for what the fetcher reads, as in useEffect.
  useEffect(() => run(false), deps);
  useChanges(kinds, () => run(true));

  const reload = useCallback(() => run(true), [run]);
  return { data, error, loading, reload };
}
