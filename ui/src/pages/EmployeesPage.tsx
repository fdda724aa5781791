import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { onChange, type CustomFieldColumn, type Employee, type StatusChoice } from "../api";
import { ProgressBar, StatusPill, Time } from "../components/bits";
import { IconDownload, IconFirst, IconLast, IconChevronLeft, IconChevronRight, IconPeople, IconSearch } from "../components/Icons";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { exportEmployeesCsv } from "../lib/exportCsv";
import { formatCount, pageRange, personName, plural } from "../lib/format";
import { buildQuery, move, pagerState, shouldRestart, type PageAt, type PagerMove } from "../lib/paging";
import { keptByText } from "../lib/providers";
import { command } from "../lib/queries";
import { navigate } from "../lib/useRoute";

// The table's filters survive a visit to an employee and back.
const INITIAL = { search: "", status: "all" as StatusChoice, pageAt: { at: "first" } as PageAt };
let remembered = INITIAL;

/** Back to no search, all statuses, first page (tests start from here). */
export function forgetEmployeeFilters() {
  remembered = INITIAL;
}

export function EmployeesPage() {
  const { data: overview } = useQuery(command("overview"));
  const { toast } = useToast();
  const [searchText, setSearchText] = useState(remembered.search);
  const [search, setSearch] = useState(remembered.search);
  const [status, setStatus] = useState<StatusChoice>(remembered.status);
  const [pageAt, setPageAt] = useState<PageAt>(remembered.pageAt);
  const [exporting, setExporting] = useState(false);
  // How far the export is, from the core's `export` events while it runs.
  const [exported, setExported] = useState<{ written: number; total: number } | null>(null);
  const tableTop = useRef<HTMLDivElement>(null);

  // Typing filters after a short pause, and from the first page.
  useEffect(() => {
    if (searchText === search) return;
    const t = setTimeout(() => {
      setSearch(searchText);
      setPageAt({ at: "first" });
    }, 250);
    return () => clearTimeout(t);
  }, [searchText, search]);

  useEffect(() => {
    remembered = { search, status, pageAt };
  }, [search, status, pageAt]);

  const query = useMemo(() => buildQuery({ search, status }, pageAt), [search, status, pageAt]);
  // The page shown stays while the next one loads.
  const page = useQuery({ ...command("list_employees", { query }), placeholderData: keepPreviousData });
  const data = page.data ?? null;
  const loading = page.isPending || page.isPlaceholderData;

  // The page shown emptied (Okta deactivated or removed its people): back to the first page. Set
  // while rendering, so the empty page is never painted.
  if (data && shouldRestart(pageAt, data)) setPageAt({ at: "first" });

  const go = (to: PagerMove) => {
    const next = move(data, to);
    if (next) {
      setPageAt(next);
      tableTop.current?.scrollTo({ top: 0 });
    }
  };
  const can = pagerState(data);
  // The admin's custom fields, a column each after the built-in ones.
  const customColumns = data?.custom_fields ?? [];

  useEffect(() => {
    if (!exporting) return;
    let stopped = false;
    let unlisten: (() => void) | undefined;
    void onChange((e) => {
      if (e.kind === "export" && !e.done) setExported({ written: e.written, total: e.total });
    }).then((u) => {
      if (stopped) u();
      else unlisten = u;
    });
    return () => {
      stopped = true;
      unlisten?.();
      setExported(null);
    };
  }, [exporting]);

  const doExport = async () => {
    setExporting(true);
    try {
      const r = await exportEmployeesCsv(query);
      if (r) toast(`Exported ${plural(r.count, "employee")} to ${r.path}`);
    } catch (e) {
      toast(`Export failed: ${errorMessage(e)}`, "error");
    } finally {
      setExporting(false);
    }
  };

  const active = overview?.employees_active;
  const deactivated = overview?.employees_deactivated;
  const count = (n: number | undefined) => (n === undefined ? "" : ` (${formatCount(n)})`);
  const directoryEmpty = overview !== undefined && (active ?? 0) + (deactivated ?? 0) === 0 && data !== null && data.total === 0 && !search;
  const filtered = search.trim() !== "" || status !== "all";

  return (
    <div className="page page-wide">
      <header className="page-header">
        <div>
          <h1 className="page-title">Employees</h1>
          <p className="page-lede">
            {overview && (active ?? 0) + (deactivated ?? 0) > 0
              ? `${formatCount(active ?? 0)} active, ${formatCount(deactivated ?? 0)} deactivated — kept up to date by ${keptByText(overview)}.`
              : "The directory your identity provider keeps up to date."}
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="button" onClick={doExport} disabled={exporting || !data || data.total === 0} data-testid="export-csv" title="Save every employee matching the search and status filter as a CSV file">
            <IconDownload />
            <span>{exporting ? "Exporting…" : "Export CSV"}</span>
          </button>
        </div>
      </header>

      {exporting && exported && (
        <div className="export-progress" data-testid="export-progress" aria-live="polite">
          <ProgressBar fraction={exported.total > 0 ? exported.written / exported.total : null} label="CSV export" />
          <p className="small">
            Exporting {formatCount(exported.written)} of {plural(exported.total, "employee")}…
          </p>
        </div>
      )}

      <div className="toolbar" role="search">
        <div className="search-box">
          <IconSearch />
          <label htmlFor="employee-search" className="visually-hidden">Search employees</label>
          <input
            id="employee-search"
            type="search"
            className="input"
            placeholder={
              customColumns.length > 0
                ? "Search name, email, title, department, business unit, employee ID or custom fields"
                : "Search name, email, title, department, business unit or employee ID"
            }
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            data-testid="employee-search"
          />
        </div>
        <label className="inline-select">
          <span>Status</span>
          <select
            className="select"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as StatusChoice);
              setPageAt({ at: "first" });
            }}
            data-testid="status-filter"
          >
            <option value="all">All</option>
            <option value="active">Active{count(active)}</option>
            <option value="deactivated">Deactivated{count(deactivated)}</option>
          </select>
        </label>
        <div className="toolbar-spacer" />
        {data && data.total > 0 && (
          <span className="toolbar-count">{plural(data.total, filtered ? "match" : "employee", filtered ? "matches" : "employees")}</span>
        )}
      </div>

      {page.error && (
        <div className="callout callout-danger" role="alert">
          <p>Couldn't load employees: {errorMessage(page.error)}</p>
          <button type="button" className="button button-small" onClick={() => void page.refetch()}>Try again</button>
        </div>
      )}

      {directoryEmpty ? (
        <div className="empty-state" data-testid="employees-empty">
          <span className="empty-icon"><IconPeople /></span>
          <h2 className="empty-title">No employees yet</h2>
          <p>Once Okta or Microsoft Entra ID provisions people, they appear here.</p>
          <div className="empty-actions">
            <a className="button button-primary" href="#/settings/integrations/okta">Set up Okta</a>
            <a className="button button-primary" href="#/settings/integrations/entra">Set up Microsoft Entra ID</a>
          </div>
        </div>
      ) : data && data.items.length === 0 && !loading ? (
        <div className="empty-state" data-testid="employees-no-match">
          <span className="empty-icon"><IconSearch /></span>
          <h2 className="empty-title">No employees match</h2>
          <p>{search ? `Nothing matches "${search}"${status !== "all" ? ` among ${status} employees` : ""}.` : `There are no ${status} employees.`}</p>
          <button
            type="button"
            className="button"
            onClick={() => {
              setSearchText("");
              setSearch("");
              setStatus("all");
              setPageAt({ at: "first" });
            }}
          >
            Clear filters
          </button>
        </div>
      ) : (
        <>
          <div className="table-wrap" ref={tableTop} aria-busy={loading}>
            <table className="table employees-table">
              <caption className="visually-hidden">Employees{data ? `, ${pageRange(data.offset, data.items.length, data.total)}` : ""}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Job title</th>
                  <th scope="col">Department</th>
                  <th scope="col">Business unit</th>
                  <th scope="col">Manager</th>
                  <th scope="col">Location</th>
                  <th scope="col">Employee ID</th>
                  {customColumns.map((c) => (
                    <th scope="col" key={c.key} data-testid="custom-column">{c.label}</th>
                  ))}
                  <th scope="col">Status</th>
                  <th scope="col">Last update</th>
                </tr>
              </thead>
              <tbody>
                {(data?.items ?? []).map((e) => (
                  <EmployeeRow key={e.id} e={e} custom={customColumns} />
                ))}
                {!data &&
                  Array.from({ length: 8 }, (_, i) => (
                    <tr key={i} className="skeleton-row" aria-hidden="true">
                      {Array.from({ length: 10 + customColumns.length }, (_, j) => (
                        <td key={j}><span className="skeleton" /></td>
                      ))}
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <span className="page-info" data-testid="page-info" aria-live="polite">
              {data ? pageRange(data.offset, data.items.length, data.total) : "…"}
            </span>
            <div className="pager-buttons">
              <button type="button" className="button button-small" disabled={!can.first} onClick={() => go("first")} data-testid="page-first" aria-label="First page">
                <IconFirst /><span>First</span>
              </button>
              <button type="button" className="button button-small" disabled={!can.prev} onClick={() => go("prev")} data-testid="page-prev" aria-label="Previous page">
                <IconChevronLeft /><span>Previous</span>
              </button>
              <button type="button" className="button button-small" disabled={!can.next} onClick={() => go("next")} data-testid="page-next" aria-label="Next page">
                <span>Next</span><IconChevronRight />
              </button>
              <button type="button" className="button button-small" disabled={!can.last} onClick={() => go("last")} data-testid="page-last" aria-label="Last page">
                <span>Last</span><IconLast />
              </button>
            </div>
          </nav>
        </>
      )}
    </div>
  );
}

function EmployeeRow({ e, custom }: { e: Employee; custom: CustomFieldColumn[] }) {
  const open = () => navigate(`#/employees/${encodeURIComponent(e.id)}`);
  // Enter opens the employee; the arrow keys move between rows.
  const onKey = (ev: KeyboardEvent<HTMLTableRowElement>) => {
    if (ev.target !== ev.currentTarget) return;
    if (ev.key === "Enter") open();
    const sibling =
      ev.key === "ArrowDown" ? ev.currentTarget.nextElementSibling : ev.key === "ArrowUp" ? ev.currentTarget.previousElementSibling : null;
    if (sibling instanceof HTMLElement) {
      ev.preventDefault();
      sibling.focus();
    }
  };
  const name = personName(e);
  return (
    <tr
      className={`row-link status-${e.status}`}
      tabIndex={0}
      onClick={open}
      onKeyDown={onKey}
      data-testid="employee-row"
      data-employee-id={e.id}
      data-email={e.email ?? ""}
    >
      <td className="cell-name" title={name}>
        <a href={`#/employees/${encodeURIComponent(e.id)}`} data-testid="employee-name" tabIndex={-1} onClick={(ev) => ev.stopPropagation()}>
          {name}
        </a>
      </td>
      <td className="cell-email" data-testid="employee-email" title={e.email ?? e.user_name}>{e.email ?? e.user_name}</td>
      <Cell value={e.job_title} />
      <Cell value={e.department} />
      <Cell value={e.business_unit} />
      <Cell value={e.manager_email} className="cell-manager" />
      <Cell value={e.location} />
      <Cell value={e.employee_id} className="mono-cell" />
      {custom.map((c) => (
        <Cell key={c.key} value={customValue(e, c)} className={c.kind === "number" ? "cell-number" : undefined} />
      ))}
      <td><StatusPill status={e.status} testid="employee-status" /></td>
      <td className="cell-time"><Time iso={e.updated_at} /></td>
    </tr>
  );
}

/** A text cell: long values are cut with an ellipsis, and the full value is in the tooltip. */
function Cell({ value, className }: { value: string | null | undefined; className?: string }) {
  if (value === null || value === undefined || value === "")
    return (
      <td className={className}>
        <span className="muted" aria-label="none">—</span>
      </td>
    );
  return (
    <td className={className} title={value}>
      {value}
    </td>
  );
}

/** A custom field's value as the table shows it: yes/no for a boolean. */
export function customValue(e: Employee, c: CustomFieldColumn): string | null {
  const v = e.custom?.[c.key];
  if (v === undefined || v === "") return null;
  if (c.kind === "boolean") return v === "true" ? "Yes" : v === "false" ? "No" : v;
  return v;
}
