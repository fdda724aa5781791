import { useCallback, useEffect, useRef, useState } from "react";
import { api, type ActivityEntry, type ActivityFilter } from "../api";
import { ActivityList } from "../components/ActivityList";
import { IconActivity, IconSearch } from "../components/Icons";
import { useAppData } from "../lib/appData";
import { mergeNewest } from "../lib/activity";
import { errorMessage } from "../lib/errors";
import { useChanges } from "../lib/live";

const PAGE = 50;

export function ActivityPage() {
  const { connections } = useAppData();
  const [connectionId, setConnectionId] = useState<string>("");
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [entries, setEntries] = useState<ActivityEntry[] | null>(null);
  const [hasOlder, setHasOlder] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  const gen = useRef(0);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;

  useEffect(() => {
    const t = setTimeout(() => setSearch(searchText), 250);
    return () => clearTimeout(t);
  }, [searchText]);

  const filter = useCallback(
    (before: number | null): ActivityFilter => ({
      connection_id: connectionId || null,
      failures_only: failuresOnly,
      search: search.trim() || null,
      before_seq: before,
      limit: PAGE,
    }),
    [connectionId, failuresOnly, search],
  );

  // A new filter starts over from the newest entry.
  useEffect(() => {
    const mine = ++gen.current;
    setError(null);
    api.listActivity(filter(null)).then(
      (list) => {
        if (mine !== gen.current) return;
        setEntries(list);
        setHasOlder(list.length === PAGE);
        setFresh(new Set());
      },
      (e) => mine === gen.current && setError(errorMessage(e)),
    );
  }, [filter]);

  // New entries slide in at the top; the older pages already loaded stay.
  useChanges(["activity", "reload"], () => {
    const mine = gen.current;
    api.listActivity(filter(null)).then((list) => {
      if (mine !== gen.current) return;
      const known = new Set((entriesRef.current ?? []).map((a) => a.seq));
      setFresh(new Set(list.filter((a) => !known.has(a.seq)).map((a) => a.seq)));
      setEntries((old) => mergeNewest(old ?? [], list));
    }, () => {});
  });

  const loadOlder = async () => {
    if (!entries || entries.length === 0) return;
    const mine = gen.current;
    setLoadingOlder(true);
    try {
      const oldest = Math.min(...entries.map((a) => a.seq));
      const list = await api.listActivity(filter(oldest));
      if (mine !== gen.current) return;
      setEntries((old) => [...(old ?? []), ...list.filter((a) => a.seq < oldest)]);
      setHasOlder(list.length === PAGE);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingOlder(false);
    }
  };

  const filtered = !!connectionId || failuresOnly || !!search.trim();

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1 className="page-title">Activity</h1>
          <p className="page-lede">Every request Okta made to SCIM Desk and how it went, newest first.</p>
        </div>
      </header>

      <div className="toolbar" role="search">
        <div className="search-box">
          <IconSearch />
          <label htmlFor="activity-search" className="visually-hidden">Search activity</label>
          <input
            id="activity-search"
            type="search"
            className="input"
            placeholder="Search summaries and errors"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            data-testid="activity-search"
          />
        </div>
        <label className="inline-select">
          <span>Connection</span>
          <select className="select" value={connectionId} onChange={(e) => setConnectionId(e.target.value)} data-testid="activity-connection">
            <option value="">All connections</option>
            {(connections ?? []).map((c) => (
              <option key={c.id} value={c.id}>{c.name}</option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={failuresOnly} onChange={(e) => setFailuresOnly(e.target.checked)} data-testid="activity-failures-only" />
          <span>Failures only</span>
        </label>
      </div>

      {error && (
        <div className="callout callout-danger" role="alert">
          <p>Couldn't load activity: {error}</p>
        </div>
      )}

      {entries === null ? (
        <p className="muted">Loading activity…</p>
      ) : entries.length === 0 ? (
        <div className="empty-state" data-testid="activity-empty">
          <span className="empty-icon"><IconActivity /></span>
          {filtered ? (
            <>
              <h2 className="empty-title">Nothing matches these filters</h2>
              <p>Try another connection, or clear the search.</p>
            </>
          ) : (
            <>
              <h2 className="empty-title">No activity yet</h2>
              <p>Each request Okta sends — creating, updating or deactivating an employee, or testing the connection — is listed here with its outcome.</p>
              <a className="button" href="#/settings/integrations/okta">Set up Okta</a>
            </>
          )}
        </div>
      ) : (
        <>
          <ActivityList entries={entries} fresh={fresh} />
          <div className="load-older">
            {hasOlder ? (
              <button type="button" className="button" onClick={loadOlder} disabled={loadingOlder} data-testid="activity-load-older">
                {loadingOlder ? "Loading…" : "Load older"}
              </button>
            ) : (
              <p className="muted small">That's the beginning of the log.</p>
            )}
          </div>
        </>
      )}
    </div>
  );
}
