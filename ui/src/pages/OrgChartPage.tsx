// The org chart: one employee in the middle, their managers above and their direct reports
// below, each a card. Cards are one roving-focus group: arrow keys move between them, Enter (or
// a click) opens that person's chart. Search jumps to anyone; the top of the organisation is
// shown when no one is chosen, and managers not in the directory yet are listed below.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { OrgChartView, OrgPerson } from "../api";
import { StatusPill, Switch } from "../components/bits";
import { IconChevronLeft, IconSearch } from "../components/Icons";
import { errorMessage } from "../lib/errors";
import { formatCount, personName, plural } from "../lib/format";
import { command } from "../lib/queries";
import { navigate } from "../lib/useRoute";

/** The chart of `id`, or the top of the organisation. */
export function orgHref(id: string | null): string {
  return id ? `#/org/${encodeURIComponent(id)}` : "#/org";
}

let rememberedShowDeactivated = false;

/** For tests: the toggle starts off again. */
export function forgetOrgChartToggle() {
  rememberedShowDeactivated = false;
}

export function OrgChartPage({ id }: { id: string | null }) {
  const [showDeactivated, setShowDeactivatedState] = useState(rememberedShowDeactivated);
  const setShowDeactivated = (on: boolean) => {
    rememberedShowDeactivated = on;
    setShowDeactivatedState(on);
  };
  const load = useQuery({
    ...command("org_chart", { employeeId: id, includeDeactivated: showDeactivated }),
    placeholderData: keepPreviousData,
  });
  const chart = load.data;
  const current = chart && (chart.person?.id ?? null) === id ? chart : undefined;

  return (
    <div className="page page-wide" data-testid="org-chart" aria-busy={load.isFetching}>
      <header className="page-header">
        <div>
          <h1 className="page-title">Org chart</h1>
          <p className="page-lede">Reporting lines as your identity provider sends them. Use the arrow keys to move between people and Enter to open one.</p>
        </div>
      </header>
      <div className="toolbar">
        <OrgSearch />
        <div className="toolbar-spacer" />
        <Switch checked={showDeactivated} onChange={setShowDeactivated} label="Show deactivated" testid="org-show-deactivated" />
      </div>
      {load.error && !current ? (
        <div className="empty-state" role="alert">
          <h2 className="empty-title">Couldn't open this org chart</h2>
          <p>{errorMessage(load.error)}</p>
          <a className="button" href={orgHref(null)}>Back to the top of the organisation</a>
        </div>
      ) : !current ? (
        <p className="muted">Loading…</p>
      ) : (
        <Chart key={current.person?.id ?? "top"} chart={current} />
      )}
      <Unresolved count={chart?.unresolved_managers ?? 0} />
    </div>
  );
}

/** Search by name, email, title, department or employee ID; pick a match to open their chart. */
function OrgSearch() {
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setSearch(text.trim()), 150);
    return () => clearTimeout(t);
  }, [text]);
  const results = useQuery({
    ...command("list_employees", { query: { search, status: "all", limit: 8, after: null, before: null, last: false } }),
    enabled: search !== "",
  });
  const list = useRef<HTMLUListElement>(null);
  const items = search !== "" && text.trim() !== "" ? (results.data?.items ?? []) : [];
  const open = (employeeId: string) => {
    setText("");
    setSearch("");
    navigate(orgHref(employeeId));
  };
  const moveIn = (e: KeyboardEvent<HTMLElement>, at: number) => {
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>("button");
    if (!buttons || buttons.length === 0) return;
    e.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, at))].focus();
  };

  return (
    <div className="org-search" role="search">
      <div className="search-box">
        <IconSearch />
        <label htmlFor="org-search" className="visually-hidden">Find someone in the org chart</label>
        <input
          id="org-search"
          type="search"
          className="input"
          placeholder="Jump to someone: name, email, title…"
          value={text}
          autoComplete="off"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") moveIn(e, 0);
            if (e.key === "Enter" && items[0]) open(items[0].id);
            if (e.key === "Escape") setText("");
          }}
          data-testid="org-search"
        />
      </div>
      {text.trim() !== "" && search !== "" && results.data && (
        <ul className="org-search-results" ref={list} data-testid="org-search-results" aria-label="Matches">
          {items.length === 0 ? (
            <li className="muted org-search-none">No one matches “{search}”.</li>
          ) : (
            items.map((e, i) => (
              <li key={e.id}>
                <button
                  type="button"
                  className="org-search-result"
                  onClick={() => open(e.id)}
                  onKeyDown={(k) => {
                    if (k.key === "ArrowDown") moveIn(k, i + 1);
                    if (k.key === "ArrowUp") {
                      if (i === 0) {
                        k.preventDefault();
                        document.getElementById("org-search")?.focus();
                      } else moveIn(k, i - 1);
                    }
                  }}
                  data-testid="org-search-result"
                >
                  <span className="org-search-name">{personName(e)}</span>
                  <span className="muted small">{[e.job_title, e.department, e.email].filter(Boolean).join(" · ")}</span>
                  {e.status !== "active" && <StatusPill status={e.status} />}
                </button>
              </li>
            ))
          )}
        </ul>
      )}
    </div>
  );
}

type Slot = { person: OrgPerson; role: "chain" | "person" | "report" | "root" };

function Chart({ chart }: { chart: OrgChartView }) {
  const slots: Slot[] = useMemo(() => {
    if (!chart.person) return chart.roots.map((p) => ({ person: p, role: "root" as const }));
    return [
      ...chart.chain.map((p) => ({ person: p, role: "chain" as const })),
      { person: chart.person, role: "person" as const },
      ...chart.reports.map((p) => ({ person: p, role: "report" as const })),
    ];
  }, [chart]);
  const home = Math.max(0, slots.findIndex((s) => s.role === "person"));
  // A chart starts at its person (the first top-level employee when none is chosen); the page
  // keys it by person, so each person's chart starts afresh.
  const [focused, setFocused] = useState(home);
  const cards = useRef<(HTMLButtonElement | null)[]>([]);
  const at = Math.min(focused, slots.length - 1);

  const moveTo = (i: number) => {
    const next = Math.max(0, Math.min(slots.length - 1, i));
    setFocused(next);
    cards.current[next]?.focus();
  };
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const step: Record<string, number> = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    if (e.key in step) {
      e.preventDefault();
      moveTo(i + step[e.key]);
    } else if (e.key === "Home") {
      e.preventDefault();
      moveTo(0);
    } else if (e.key === "End") {
      e.preventDefault();
      moveTo(slots.length - 1);
    }
  };
  const card = (s: Slot, i: number) => (
    <PersonCard
      key={`${s.role}-${s.person.id}`}
      slot={s}
      tabIndex={i === at ? 0 : -1}
      refTo={(el) => {
        cards.current[i] = el;
      }}
      onFocus={() => setFocused(i)}
      onKeyDown={(e) => onKey(e, i)}
    />
  );

  if (!chart.person) {
    return (
      <section className="org-section" aria-labelledby="org-roots-title">
        <h2 id="org-roots-title" className="org-section-title">
          Top of the organisation <span className="muted">· {plural(chart.roots_total, "person", "people")} with no manager</span>
        </h2>
        {chart.roots.length === 0 ? (
          <p className="muted">No one is at the top yet: everyone has a manager, or the directory is empty.</p>
        ) : (
          <ul className="org-grid" data-testid="org-roots">{slots.map((s, i) => <li key={s.person.id}>{card(s, i)}</li>)}</ul>
        )}
        {chart.roots_total > chart.roots.length && <p className="muted small">Showing the first {formatCount(chart.roots.length)}; search to find anyone else.</p>}
      </section>
    );
  }

  const person = chart.person;
  const chainCount = chart.chain.length;
  return (
    <div className="org-chart">
      <nav className="breadcrumb org-crumbs" aria-label="Breadcrumb">
        <ol>
          <li>
            <a href={orgHref(null)} className="back-link" data-testid="org-top-link">
              <IconChevronLeft /> Top of the organisation
            </a>
          </li>
        </ol>
      </nav>
      {(chart.chain_capped || chart.chain_loops) && (
        <p className="callout callout-neutral" data-testid="org-chain-note">
          {chart.chain_capped
            ? `Showing the nearest ${chainCount} managers; the reporting line goes higher.`
            : "The reporting line loops back on itself above this point; the identity provider sends these managers as each other's."}
        </p>
      )}
      {chainCount > 0 && (
        <ol className="org-chain" aria-label="Managers, from the top" data-testid="org-chain">
          {slots.slice(0, chainCount).map((s, i) => <li key={s.person.id}>{card(s, i)}</li>)}
        </ol>
      )}
      <div className="org-focus" data-testid="org-person">
        {card(slots[chainCount], chainCount)}
        <div className="org-focus-links">
          <a href={`#/employees/${encodeURIComponent(person.id)}`} data-testid="org-open-profile">Open profile</a>
        </div>
        {chart.manager_pending && (
          <p className="callout callout-neutral org-pending" data-testid="org-manager-pending">
            Manager not in the directory yet: <strong>{chart.manager_pending}</strong>. The line appears when they are provisioned.
          </p>
        )}
      </div>
      <section className="org-section" aria-labelledby="org-reports-title">
        <h2 id="org-reports-title" className="org-section-title">
          {chart.reports_total === 0 ? "No direct reports" : `Direct reports · ${formatCount(chart.reports_total)}`}
        </h2>
        {chart.reports.length > 0 && (
          <ul className="org-grid" data-testid="org-reports">
            {slots.slice(chainCount + 1).map((s, i) => <li key={s.person.id}>{card(s, chainCount + 1 + i)}</li>)}
          </ul>
        )}
        {chart.reports_total > chart.reports.length && <p className="muted small">Showing the first {formatCount(chart.reports.length)} by name; search to find anyone else.</p>}
      </section>
    </div>
  );
}

function PersonCard({
  slot,
  tabIndex,
  refTo,
  onFocus,
  onKeyDown,
}: {
  slot: Slot;
  tabIndex: number;
  refTo: (el: HTMLButtonElement | null) => void;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent<HTMLButtonElement>) => void;
}) {
  const p = slot.person;
  const chosen = slot.role === "person";
  const counts =
    p.direct_reports === 0 && (p.headcount ?? 0) === 0
      ? null
      : p.headcount != null && p.headcount !== p.direct_reports
        ? `${formatCount(p.direct_reports)} direct · ${formatCount(p.headcount)} in total`
        : plural(p.direct_reports, "direct report");
  return (
    <button
      type="button"
      ref={refTo}
      className={`org-card org-card-${slot.role}${p.status !== "active" ? " is-deactivated" : ""}`}
      tabIndex={tabIndex}
      aria-current={chosen ? "true" : undefined}
      onClick={() => navigate(orgHref(p.id))}
      onFocus={onFocus}
      onKeyDown={onKeyDown}
      data-testid="org-card"
      data-person={p.id}
    >
      <span className="avatar org-avatar" aria-hidden="true">{initials(p.name)}</span>
      <span className="org-card-body">
        <span className="org-card-name">{p.name}</span>
        <span className="org-card-line">{p.job_title ?? <span className="muted">No title</span>}</span>
        {p.department && <span className="org-card-line muted">{p.department}</span>}
        {counts && <span className="org-card-count" data-testid="org-card-count">{counts}</span>}
      </span>
      {p.status !== "active" && <StatusPill status={p.status} />}
    </button>
  );
}

function Unresolved({ count }: { count: number }) {
  const list = useQuery({ ...command("org_unresolved"), enabled: count > 0 });
  if (count === 0) return null;
  return (
    <section className="org-section org-unresolved" aria-labelledby="org-unresolved-title" data-testid="org-unresolved">
      <h2 id="org-unresolved-title" className="org-section-title">
        Managers not in the directory yet <span className="muted">· {formatCount(count)}</span>
      </h2>
      <p className="muted small">Your identity provider names these managers, but no employee has that email yet. The people waiting are linked as soon as the manager is provisioned.</p>
      <ul className="org-unresolved-list">
        {(list.data ?? []).map((u) => (
          <li key={u.manager} data-testid="org-unresolved-row">
            <span className="mono">{u.manager}</span>
            <span className="muted"> — {plural(u.waiting, "person waits", "people wait")} for them: </span>
            {u.employees.map((e, i) => (
              <span key={e.id}>
                {i > 0 && ", "}
                <a href={orgHref(e.id)}>{e.name}</a>
              </span>
            ))}
            {u.waiting > u.employees.length && <span className="muted">, and {formatCount(u.waiting - u.employees.length)} more</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase() || "?";
}
