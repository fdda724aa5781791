import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { type EmployeeDetail } from "../api";
import { ActivityList } from "../components/ActivityList";
import { StatusPill, Time } from "../components/bits";
import { IconChevronLeft, IconOrgChart } from "../components/Icons";
import { errorMessage } from "../lib/errors";
import { absoluteTime, personName } from "../lib/format";
import { madeByText, providerName } from "../lib/providers";
import { command } from "../lib/queries";
import { customValue } from "./EmployeesPage";
import { HistorySection } from "./EmployeeHistory";

export function EmployeeDetailPage({ id }: { id: string }) {
  const load = useQuery(command("employee_detail", { id }));
  const d = load.data;

  return (
    <div className="page" data-testid="employee-detail" aria-busy={load.isFetching}>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li>
            <a href="#/employees" className="back-link">
              <IconChevronLeft /> Employees
            </a>
          </li>
        </ol>
      </nav>
      {load.error && !d ? (
        <div className="empty-state" role="alert">
          <h1 className="empty-title">Couldn't open this employee</h1>
          <p>{errorMessage(load.error)}</p>
          <a className="button" href="#/employees">Back to Employees</a>
        </div>
      ) : !d ? (
        <p className="muted">Loading…</p>
      ) : (
        <Detail d={d} />
      )}
    </div>
  );
}

function Detail({ d }: { d: EmployeeDetail }) {
  const e = d.employee;
  const name = personName(e);
  const managerLabel = d.manager_name ?? null;
  const groups = d.groups ?? [];
  const attributes = d.attributes ?? [];
  const activity = d.activity ?? [];
  // Who last wrote this employee; the words of an older record (or one with no provider) are Okta's.
  const idp = d.provider ? providerName(d.provider) : null;

  const manager: ReactNode = e.manager_email ? (
    e.manager_id ? (
      <a href={`#/employees/${encodeURIComponent(e.manager_id)}`}>
        {managerLabel ?? e.manager_email}
        {managerLabel && <span className="muted"> · {e.manager_email}</span>}
      </a>
    ) : (
      <span>
        {e.manager_email} <span className="muted small">(not in the directory yet)</span>
      </span>
    )
  ) : null;

  const profile: [string, ReactNode][] = [
    ["First Name", e.first_name],
    ["Last Name", e.last_name],
    ["Email", e.email],
    ["Job Title", e.job_title],
    ["Department", e.department],
    ["Business Unit", e.business_unit],
    ["Manager", manager],
    ["Location", e.location],
    ["Employee ID", e.employee_id],
    // The admin's custom fields, in their order.
    ...(d.custom_fields ?? []).map((c): [string, ReactNode] => [c.label, customValue(e, c)]),
  ];
  const record: [string, ReactNode][] = [
    ["User name", <span className="mono">{e.user_name}</span>],
    [d.provider === "entra" ? "ID in Entra (externalId)" : "Okta ID (externalId)", e.external_id ? <span className="mono">{e.external_id}</span> : null],
    ["Last changed by", madeByText(d.provider, d.connection_name) && <span data-testid="detail-made-by">{madeByText(d.provider, d.connection_name)}</span>],
    ["Created", <span title={absoluteTime(e.created_at)}>{absoluteTime(e.created_at)}</span>],
    ["Last update", <Time iso={e.updated_at} />],
    ["SCIM Desk ID", <span className="mono">{e.id}</span>],
  ];

  return (
    <>
      <header className="detail-header">
        <span className="avatar" aria-hidden="true">{initials(name)}</span>
        <div>
          <h1 className="page-title">{name}</h1>
          <p className="detail-sub">
            {e.email ?? e.user_name}
            {e.job_title && <span> · {e.job_title}</span>}
          </p>
        </div>
        <StatusPill status={e.status} testid="detail-status" />
        {e.status !== "removed" && (
          <a className="button detail-org-link" href={`#/org/${encodeURIComponent(e.id)}`} data-testid="detail-org-chart">
            <IconOrgChart />
            <span>View in org chart</span>
          </a>
        )}
      </header>

      {e.status !== "active" && (
        <p className="callout callout-neutral">
          {e.status === "deactivated"
            ? `${idp ?? "Okta"} deactivated this employee (unassigned or deactivated there). The record stays in the directory.`
            : `${idp ?? "Okta"} removed this employee. The record is kept for reference.`}
        </p>
      )}

      <div className="detail-grid">
        <section className="card" aria-labelledby="profile-title">
          <h2 id="profile-title" className="card-title">Profile</h2>
          <Fields rows={profile} />
        </section>
        <div className="detail-side">
          <section className="card" aria-labelledby="groups-title" data-testid="detail-groups">
            <h2 id="groups-title" className="card-title">Groups</h2>
            {groups.length === 0 ? (
              <p className="muted">Not in any group</p>
            ) : (
              <ul className="chips">
                {groups.map((g) => (
                  <li key={g.id} className="chip">{g.display_name}</li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="record-title">
            <h2 id="record-title" className="card-title">Record</h2>
            <Fields rows={record} />
          </section>
        </div>
      </div>

      <section className="card" aria-labelledby="attrs-title">
        <h2 id="attrs-title" className="card-title">{idp ?? "Okta"} attributes</h2>
        <p className="card-lede">Everything {idp ?? "Okta"} sent for this person, as received.</p>
        {attributes.length === 0 ? (
          <p className="muted">No attributes recorded.</p>
        ) : (
          <table className="table table-compact attrs-table">
            <thead>
              <tr>
                <th scope="col">Attribute</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {attributes.map(([k, v], i) => (
                <tr key={`${k}-${i}`}>
                  <th scope="row" className="mono">{k}</th>
                  <td className="attr-value">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <HistorySection id={e.id} />

      <section className="card" aria-labelledby="emp-activity-title" data-testid="detail-activity">
        <h2 id="emp-activity-title" className="card-title">Activity</h2>
        {activity.length === 0 ? (
          <p className="muted">No requests from {idp ?? "Okta"} about this employee yet.</p>
        ) : (
          <ActivityList entries={activity} />
        )}
      </section>
    </>
  );
}

function Fields({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="fields">
      {rows.map(([label, value]) => (
        <div key={label} className="fields-row">
          <dt>{label}</dt>
          <dd>{value === null || value === undefined || value === "" ? <span className="muted">—</span> : value}</dd>
        </div>
      ))}
    </dl>
  );
}

function initials(name: string): string {
  const parts = name.split(/[\s@.]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "") + (parts[1]?.[0] ?? "")).toUpperCase() || "?";
}
