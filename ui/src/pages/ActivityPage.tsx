import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { call, type ActivityFilter } from "../api";
import { ActivityList } from "../components/ActivityList";
import { IconActivity, IconSearch } from "../components/Icons";
import { errorMessage } from "../lib/errors";
import { PROVIDER_WORDS, PROVIDERS } from "../lib/providers";
import { command, commandKey } from "../lib/queries";

const PAGE = 50;

export function ActivityPage() {
  const { data: connections } = useQuery(command("list_connections"));
  const [connectionId, setConnectionId] = useState<string>("");
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");

  useEffect(() => {
    const t = setTimeout(() => setSearch(searchText), 250);
    return () => clearTimeout(t);
  }, [searchText]);

  const filter = useMemo(
    (): Omit<ActivityFilter, "before_seq"> => ({
      connection_id: connectionId || null,
      failures_only: failuresOnly,
      search: search.trim() || null,
      limit: PAGE,
    }),
    [connectionId, failuresOnly, search],
  );

  // Pages of 50, newest first, each from before the last one's oldest entry. When new requests
  // make the log stale, every page loaded is fetched again from the newest, so new entries slide
  // in at the top and the older pages stay.
  const activity = useInfiniteQuery({
    queryKey: commandKey("list_activity", { filter: { ...filter, before_seq: null } }),
    queryFn: ({ pageParam }) => call("list_activity", { filter: { ...filter, before_seq: pageParam } }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => (last.length === PAGE ? Math.min(...last.map((a) => a.seq)) : null),
  });
  const entries = useMemo(() => activity.data?.pages.flat() ?? null, [activity.data]);
  const error = activity.error ? errorMessage(activity.error) : null;

  const filtered = !!connectionId || failuresOnly || !!search.trim();

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1 className="page-title">Activity</h1>
          <p className="page-lede">Every request Okta and Microsoft Entra ID made to SCIM Desk, who made it and how it went, newest first.</p>
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
            {/* Grouped by identity provider: the provider is the first thing an admin knows. */}
            {PROVIDERS.map((p) => {
              const own = (connections ?? []).filter((c) => c.provider === p);
              return own.length === 0 ? null : (
                <optgroup key={p} label={PROVIDER_WORDS[p].name}>
                  {own.map((c) => (
                    <option key={c.id} value={c.id}>{c.name}</option>
                  ))}
                </optgroup>
              );
            })}
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
        !error && <p className="muted">Loading activity…</p>
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
              <p>Each request Okta or Microsoft Entra ID sends — creating, updating or deactivating an employee, or testing the connection — is listed here with its outcome.</p>
              <div className="empty-actions">
                <a className="button" href="#/settings/integrations/okta">Set up Okta</a>
                <a className="button" href="#/settings/integrations/entra">Set up Microsoft Entra ID</a>
              </div>
            </>
          )}
        </div>
      ) : (
        <>
          {/* A new filter is a new list: only entries that arrive while it is shown slide in. */}
          <ActivityList key={JSON.stringify(filter)} entries={entries} slideInNew />
          <div className="load-older">
            {activity.hasNextPage ? (
              <button
                type="button"
                className="button"
                onClick={() => void activity.fetchNextPage()}
                disabled={activity.isFetchingNextPage}
                data-testid="activity-load-older"
              >
                {activity.isFetchingNextPage ? "Loading…" : "Load older"}
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
