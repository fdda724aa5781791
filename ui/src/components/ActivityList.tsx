// The identity providers' requests as the activity log recorded them, newest first, each with
// who made it: the provider and the connection ("Microsoft Entra ID · HR Entra").
import { useState } from "react";
import type { ActivityEntry } from "../api";
import { madeByText } from "../lib/providers";
import { Time } from "./bits";
import { IconCheck, IconX } from "./Icons";

type Props = {
  entries: ActivityEntry[];
  showConnection?: boolean;
  /** Entries newer than the first ones shown slide in (requests arriving live). */
  slideInNew?: boolean;
};

export function ActivityList({ entries, showConnection = true, slideInNew = false }: Props) {
  // The newest entry when the list was first shown: what comes after it is new.
  const [newestAtFirst] = useState(() => entries.reduce((max, a) => Math.max(max, a.seq), 0));
  const isFresh = (a: ActivityEntry) => slideInNew && a.seq > newestAtFirst;
  return (
    <ol className="activity-list">
      {entries.map((a) => (
        <li
          key={a.seq}
          className={`activity-row outcome-row-${a.outcome}${isFresh(a) ? " is-fresh" : ""}`}
          data-testid="activity-row"
          data-outcome={a.outcome}
          data-connection-id={a.connection_id ?? ""}
          data-provider={a.provider ?? ""}
          data-seq={a.seq}
        >
          <span className={`activity-mark mark-${a.outcome}`} aria-hidden="true">
            {a.outcome === "success" ? <IconCheck /> : <IconX />}
          </span>
          <div className="activity-main">
            <p className="activity-summary" data-testid="activity-summary">
              {a.employee_id ? (
                <a href={`#/employees/${encodeURIComponent(a.employee_id)}`}>{a.summary}</a>
              ) : (
                a.summary
              )}
            </p>
            {a.outcome === "failure" && (
              <p className="activity-detail" data-testid="activity-detail">
                <span className="visually-hidden">Failed: </span>
                {a.detail ?? "The request failed."}
              </p>
            )}
            {a.outcome === "success" && a.detail && (
              <p className="activity-detail-ok" data-testid="activity-detail">{a.detail}</p>
            )}
            <p className="activity-meta">
              <Time iso={a.at} />
              {showConnection && (
                <>
                  <span aria-hidden="true"> · </span>
                  <span data-testid="activity-made-by">{madeByText(a.provider, a.connection_name) ?? "Unknown connection"}</span>
                </>
              )}
              <span aria-hidden="true"> · </span>
              <span className="mono small">{a.method}</span>
            </p>
          </div>
          <div className="activity-side">
            <span className={`outcome-label outcome-${a.outcome}`}>{a.outcome === "success" ? "Success" : "Failure"}</span>
            <span className="http-status" title="HTTP status SCIM Desk answered">{a.status}</span>
          </div>
        </li>
      ))}
    </ol>
  );
}
