import { useRef, useState } from "react";
import { call, type ConnectionView, type Provider } from "../api";
import { CopyButton, Field } from "../components/bits";
import { Dialog } from "../components/Dialog";
import { errorField, errorMessage } from "../lib/errors";
import { PROVIDER_WORDS } from "../lib/providers";
import { CONNECTION_NAME_MAX, validateConnectionName } from "../lib/validate";

/** Adds a connection of `provider`: the dialog of that provider's page. */
type Props = { provider: Provider; onClose: () => void; onAdded: (c: ConnectionView) => void };

/** The connection without its shown-once token, for the list (which never holds a token). */
function withoutToken(c: ConnectionView): ConnectionView {
  const view = { ...c };
  delete view.new_token;
  return view;
}

export function AddConnectionDialog({ provider, onClose, onAdded }: Props) {
  const words = PROVIDER_WORDS[provider];
  /** Server mode: the connection is added and its token is shown here, this once. */
  const [shown, setShown] = useState<ConnectionView | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const save = async () => {
    if (busy) return;
    const invalid = validateConnectionName(name);
    setError(invalid);
    setFormError(null);
    if (invalid) {
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const c = await call("add_connection", { name: name.trim(), provider });
      if (c.new_token) setShown(c);
      else onAdded(c);
    } catch (e) {
      const field = errorField(e);
      // The name is the only field: anything about it (duplicate, refused) goes under it.
      if (field === null || field === "name") setError(errorMessage(e));
      else setFormError(errorMessage(e));
      setBusy(false);
      input.current?.focus();
    }
  };

  if (shown?.new_token) {
    const done = () => onAdded(withoutToken(shown));
    return (
      <Dialog
        title={`Copy the ${words.tokenInText} of ${shown.name} now`}
        onClose={done}
        testid="connection-token-once"
        size="medium"
        footer={
          <button type="button" className="button button-primary" onClick={done} data-testid="done-connection">
            I've copied it
          </button>
        }
      >
        <p className="dialog-lede" role="alert" data-testid="token-once-note">
          <strong>This {words.tokenInText} is shown only once.</strong> SCIM Desk runs in server mode and keeps only a digest of it, so it can't
          show it again. Copy it now and paste it into {words.short} with the {words.baseUrlInText}. If it is lost, choose Regenerate{" "}
          {words.tokenInText} in the connection's menu.
        </p>
        <dl className="connection-fields">
          <div className="connection-field connection-field-wide">
            <dt>{words.baseUrlLabel}</dt>
            <dd>
              <code className="mono secret-box" data-testid="new-base-url">{shown.base_url}</code>
              <CopyButton text={shown.base_url} label={`Copy the ${words.baseUrlInText} of ${shown.name}`} what={words.baseUrlLabel} testid="copy-new-base-url" />
            </dd>
          </div>
          <div className="connection-field connection-field-wide">
            <dt>{words.tokenLabel}</dt>
            <dd>
              <code className="mono secret-box" data-testid="new-token">{shown.new_token}</code>
              <CopyButton text={shown.new_token} label={`Copy the ${words.tokenInText} of ${shown.name}`} what={words.tokenLabel} testid="copy-new-token" />
            </dd>
          </div>
        </dl>
      </Dialog>
    );
  }

  return (
    <Dialog
      title={provider === "okta" ? "Add an Okta connection" : "Add a Microsoft Entra ID connection"}
      onClose={onClose}
      onSubmit={save}
      testid="connection-dialog"
      size="small"
      busy={busy}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-testid="cancel-connection">
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy} data-testid="save-connection">
            {busy ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <p className="dialog-lede">
        {provider === "okta"
          ? "SCIM Desk creates a base URL and a token for this connection. You paste both into Okta's provisioning settings."
          : "SCIM Desk creates a Tenant URL and a Secret Token for this connection. You paste both into the provisioning settings of the enterprise application in Microsoft Entra ID."}
      </p>
      <Field
        label="Name"
        help={`A name to recognise ${words.linkedThing}, such as "${words.exampleName}". Up to ${CONNECTION_NAME_MAX} characters.`}
        error={error}
        errorTestid="connection-name-error"
      >
        {({ id, describedBy, invalid }) => (
          <input
            ref={input}
            id={id}
            className="input"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (error) setError(null);
            }}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            autoComplete="off"
            spellCheck={false}
            data-autofocus=""
            data-testid="connection-name"
          />
        )}
      </Field>
      {formError && <p className="field-error" role="alert">{formError}</p>}
    </Dialog>
  );
}
