// What to do in Okta's admin console, with the exact values, and the default attribute mapping.
import { useState } from "react";
import { call, type ConnectionView } from "../api";
import { CopyButton } from "../components/bits";

export const ATTRIBUTE_MAPPING: [string, string][] = [
  ["First Name", "First Name"],
  ["Last Name", "Last Name"],
  ["Email", "Email"],
  ["Job Title", "Title"],
  ["Department", "Department"],
  ["Business Unit", "Division"],
  ["Manager", "Manager ID (email)"],
  ["Location", "City"],
  ["Employee ID", "Employee Number"],
];

/** A way through a console's menus: "Applications › Applications". */
export function Path({ parts }: { parts: string[] }) {
  return (
    <span className="ui-path">
      {parts.map((p, i) => (
        <span key={i}>
          {i > 0 && <span className="ui-path-sep" aria-label="then"> › </span>}
          <strong>{p}</strong>
        </span>
      ))}
    </span>
  );
}

/** The connection whose values a setup guide shows (the first, until the admin picks another),
 *  and the picker, shown when there is more than one. */
export function useChosenConnection(connections: ConnectionView[]) {
  const [chosenId, setChosenId] = useState<string | null>(null);
  const chosen = connections.find((c) => c.id === chosenId) ?? connections[0] ?? null;
  const picker =
    connections.length > 1 ? (
      <label className="inline-select">
        <span>Values for</span>
        <select className="select select-small" value={chosen?.id ?? ""} onChange={(e) => setChosenId(e.target.value)}>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>{c.name}</option>
          ))}
        </select>
      </label>
    ) : null;
  return { chosen, picker };
}

export function SetupGuide({ connections }: { connections: ConnectionView[] }) {
  const { chosen, picker } = useChosenConnection(connections);

  return (
    <section className="section setup" aria-labelledby="setup-title">
      <div className="setup-grid">
        <div className="card setup-steps">
          <div className="card-head">
            <h2 id="setup-title" className="card-title">Set up Okta</h2>
            {picker}
          </div>
          <p className="card-lede">In the Okta Admin Console, on the app you use for SCIM Desk (or a new app integration):</p>
          <ol className="steps">
            <li>
              <Path parts={["Applications", "Applications"]} />, open your app, then <Path parts={["General", "Edit"]} /> and tick{" "}
              <strong>Enable SCIM provisioning</strong>. Save.
            </li>
            <li>
              <Path parts={["Provisioning", "Integration", "Edit"]} />, then fill in:
              <dl className="step-values">
                <div>
                  <dt>SCIM connector base URL</dt>
                  <dd className="value-line">
                    {chosen ? (
                      <>
                        <code className="mono value-chip">{chosen.base_url}</code>
                        <CopyButton text={chosen.base_url} label="Copy the base URL" what="Base URL" compact />
                      </>
                    ) : (
                      <span className="muted">the base URL of a connection (add one above)</span>
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Unique identifier field for users</dt>
                  <dd className="value-line">
                    <code className="mono value-chip">email</code>
                    <span className="muted small">exactly as written, lower case</span>
                  </dd>
                </div>
                <div>
                  <dt>Supported provisioning actions</dt>
                  <dd>
                    Tick <strong>Push New Users</strong> and <strong>Push Profile Updates</strong>
                    <span className="muted"> (and Import New Users and Profile Updates if you want them)</span>
                  </dd>
                </div>
                <div>
                  <dt>Authentication Mode</dt>
                  <dd>
                    <code className="mono value-chip">HTTP Header</code>
                  </dd>
                </div>
                <div>
                  <dt>Authorization</dt>
                  <dd className="value-line">
                    {chosen ? (
                      <>
                        <span className="muted">the token of {chosen.name}</span>
                        <CopyButton text={() => call("connection_token", { id: chosen.id })} label="Copy the token" what="Token" compact />
                      </>
                    ) : (
                      <span className="muted">the token of a connection</span>
                    )}
                  </dd>
                </div>
              </dl>
            </li>
            <li>
              Click <strong>Test Connector Configuration</strong>, then <strong>Save</strong>.
            </li>
            <li>
              <Path parts={["Provisioning", "To App", "Edit"]} />: enable <strong>Create Users</strong>,{" "}
              <strong>Update User Attributes</strong> and <strong>Deactivate Users</strong>. Save.
            </li>
            <li>
              On the <strong>Assignments</strong> tab, assign the people or groups to sync. They appear under
              Employees as Okta pushes them.
            </li>
          </ol>
        </div>

        <div className="card mapping">
          <h2 className="card-title">Default attribute mapping</h2>
          <p className="card-lede">How Okta's profile attributes fill the directory's fields.</p>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">SCIM Desk field</th>
                <th scope="col">Okta attribute</th>
              </tr>
            </thead>
            <tbody>
              {ATTRIBUTE_MAPPING.map(([ours, okta]) => (
                <tr key={ours}>
                  <th scope="row">{ours}</th>
                  <td>{okta}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            Unassigning or deactivating a person in Okta deactivates them here; nobody is deleted.
          </p>
        </div>
      </div>
    </section>
  );
}
