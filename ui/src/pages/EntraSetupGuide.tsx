// What to do in the Microsoft Entra admin center, with the values to paste, and how Entra's
// default attribute mappings fill the directory's fields. Names of the portal's pages and
// buttons follow Microsoft's provisioning documentation (checked in December 2026); the
// sentences are ours.
import { call, type ConnectionView } from "../api";
import { CopyButton } from "../components/bits";
import { Path, useChosenConnection } from "./SetupGuide";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Entra's default user mappings for a non-gallery application: its attribute, the SCIM
 *  attribute it writes, and the directory field that SCIM attribute fills (see the core's
 *  directory/mapping.rs). */
export const ENTRA_MAPPING: { entra: string; scim: string; field: string }[] = [
  { entra: "userPrincipalName", scim: "userName", field: "User name (the sign-in name; the email when there is no other)" },
  { entra: "mail", scim: 'emails[type eq "work"].value', field: "Email" },
  { entra: "givenName", scim: "name.givenName", field: "First Name" },
  { entra: "surname", scim: "name.familyName", field: "Last Name" },
  { entra: "jobTitle", scim: "title", field: "Job Title" },
  { entra: "department", scim: `${ENTERPRISE}:department`, field: "Department" },
  { entra: "employeeId", scim: `${ENTERPRISE}:employeeNumber`, field: "Employee ID" },
  { entra: "manager", scim: `${ENTERPRISE}:manager`, field: "Manager" },
  { entra: "city", scim: 'addresses[type eq "work"].locality', field: "Location" },
  { entra: 'Switch([IsSoftDeleted], , "False", "True", "True", "False")', scim: "active", field: "Status (Active or Deactivated)" },
  { entra: "mailNickname (or objectId)", scim: "externalId", field: "Entra's id for the person, kept on the employee's record" },
];

/** The enterprise extension's long prefix, shortened where a table cell has little room. */
function ScimName({ name }: { name: string }) {
  if (!name.startsWith(`${ENTERPRISE}:`)) return <code className="mono">{name}</code>;
  return (
    <code className="mono" title={name}>
      enterprise:{name.slice(ENTERPRISE.length + 1)}
    </code>
  );
}

export function EntraSetupGuide({ connections }: { connections: ConnectionView[] }) {
  const { chosen, picker } = useChosenConnection(connections);

  return (
    <section className="section setup" aria-labelledby="entra-setup-title" data-testid="entra-setup">
      <div className="setup-grid setup-grid-stacked">
        <div className="card setup-steps">
          <div className="card-head">
            <h2 id="entra-setup-title" className="card-title">Set up Microsoft Entra ID</h2>
            {picker}
          </div>
          <p className="card-lede">
            In the Microsoft Entra admin center, signed in as at least an Application Administrator:
          </p>
          <ol className="steps">
            <li>
              <Path parts={["Enterprise applications", "New application", "Create your own application"]} />. Name it (for
              example <em>SCIM Desk</em>), choose <strong>Integrate any other application you don't find in the gallery
              (Non-gallery)</strong> and create it.
            </li>
            <li>
              In the new application, open <strong>Provisioning</strong> and start a configuration: <strong>New
              configuration</strong> in the current portal, or <strong>Get started</strong> in older ones, where you also set{" "}
              <Path parts={["Provisioning Mode", "Automatic"]} />.
            </li>
            <li>
              Under <strong>Admin Credentials</strong>, fill in:
              <dl className="step-values">
                <div>
                  <dt>Tenant URL</dt>
                  <dd className="value-line">
                    {chosen ? (
                      <>
                        <code className="mono value-chip" data-testid="entra-setup-tenant-url">{chosen.base_url}</code>
                        <CopyButton text={chosen.base_url} label="Copy the Tenant URL" what="Tenant URL" compact />
                      </>
                    ) : (
                      <span className="muted">the Tenant URL of a connection (add one above)</span>
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Secret Token</dt>
                  <dd className="value-line">
                    {chosen ? (
                      <>
                        <span className="muted">the Secret Token of {chosen.name}</span>
                        <CopyButton text={() => call("connection_token", { id: chosen.id })} label="Copy the Secret Token" what="Secret Token" compact />
                      </>
                    ) : (
                      <span className="muted">the Secret Token of a connection</span>
                    )}
                  </dd>
                </div>
              </dl>
            </li>
            <li>
              Click <strong>Test Connection</strong>. Entra looks up a user who doesn't exist and expects an empty answer;
              the <strong>Test</strong> button on the connection above asks SCIM Desk the same questions. When it passes,
              save the configuration (<strong>Create</strong> or <strong>Save</strong>).
            </li>
            <li>
              Under <strong>Mappings</strong>, open the user mapping and check it against the table beside these steps. Keep{" "}
              <code className="mono">userName</code> as the matching attribute.
            </li>
            <li>
              Under <Path parts={["Settings", "Scope"]} />, choose <strong>Sync only assigned users and groups</strong>. Then
              assign the people or groups to sync on the application's <strong>Users and groups</strong> page.
            </li>
            <li>
              Set <Path parts={["Provisioning Status", "On"]} /> and save, or click <strong>Start provisioning</strong> on
              the provisioning overview.
            </li>
          </ol>
          <div className="callout callout-neutral" data-testid="entra-cycles">
            <p>
              Entra doesn't send each change as it happens: it works in <strong>cycles</strong>. The first one goes
              through everyone in scope and can take a while; after that, a shorter cycle runs about every 40 minutes.
              To see one person arrive now, use <strong>Provision on demand</strong> in the application's provisioning
              pages and pick that user.
            </p>
          </div>
        </div>

        <div className="card mapping">
          <h2 className="card-title">Default attribute mapping</h2>
          <p className="card-lede">
            How the attributes of a Microsoft Entra user fill the directory's fields. Entra matches people by{" "}
            <code className="mono">userName</code>.
          </p>
          <table className="table table-compact mapping-table" data-testid="entra-mapping">
            <thead>
              <tr>
                <th scope="col">Entra attribute</th>
                <th scope="col">Sent as</th>
                <th scope="col">SCIM Desk field</th>
              </tr>
            </thead>
            <tbody>
              {ENTRA_MAPPING.map((m) => (
                <tr key={m.scim}>
                  <th scope="row">
                    <code className="mono">{m.entra}</code>
                  </th>
                  <td>
                    <ScimName name={m.scim} />
                  </td>
                  <td>{m.field}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            Business Unit is filled from <ScimName name={`${ENTERPRISE}:division`} />, which Entra's defaults don't send:
            add a mapping to it if you use it. Unassigning or disabling someone in Entra deactivates them here; their
            record stays in the directory.
          </p>
        </div>
      </div>
    </section>
  );
}
