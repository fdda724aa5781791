// The Okta page's Reachability section: the last stretches of time in which Okta couldn't reach
// SCIM Desk (the core records them; see ReachabilityBanner for the notice after a long one).
import { useQuery } from "@tanstack/react-query";
import { useNow } from "../components/bits";
import { command } from "../lib/queries";
import { affectedText, reachabilityCauseText, windowLengthText, windowSpanText } from "../lib/words";

/** "the computer was asleep" → "The computer was asleep". */
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function ReachabilitySection() {
  const { data: windows } = useQuery(command("reachability_windows"));
  const now = useNow();
  return (
    <section className="section" aria-labelledby="reachability-title" data-testid="reachability">
      <div className="section-head">
        <h2 id="reachability-title" className="section-title">Reachability</h2>
      </div>
      <p className="section-lede">
        When Okta couldn't reach SCIM Desk, its pushes in that time may have failed. The last ten such times, newest first.
      </p>
      {windows === undefined ? (
        <p className="muted">Loading…</p>
      ) : windows.length === 0 ? (
        <p className="muted" data-testid="reachability-empty">
          Nothing recorded yet. Any time SCIM Desk is not running, the computer sleeps or the Okta switch is off while a
          connection exists, it is listed here.
        </p>
      ) : (
        <div className="table-wrap table-wrap-auto">
          <table className="table table-compact reachability-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">How long</th>
                <th scope="col">Why</th>
                <th scope="col">Connections</th>
              </tr>
            </thead>
            <tbody>
              {windows.map((w) => (
                <tr key={w.id} data-testid="reachability-row" data-cause={w.cause}>
                  <td>
                    <time dateTime={w.started_at}>{capital(windowSpanText(w, now))}</time>
                  </td>
                  <td className="nowrap">
                    {windowLengthText(w.seconds)}
                    {w.ended_at === null && " so far"}
                  </td>
                  <td>{capital(reachabilityCauseText(w.cause, w.clean_stop))}</td>
                  <td>{affectedText(w.connections)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
