import { useRef, useState } from "react";
import { call, type ConnectionView, type Provider } from "../api";
import { Field } from "../components/bits";
import { Dialog } from "../components/Dialog";
import { errorField, errorMessage } from "../lib/errors";
import { PROVIDER_WORDS } from "../lib/providers";
import { CONNECTION_NAME_MAX, validateConnectionName } from "../lib/validate";

/** Adds a connection of `provider`: the dialog of that provider's page. */
type Props = { provider: Provider; onClose: () => void; onAdded: (c: ConnectionView) => void };

export function AddConnectionDialog({ provider, onClose, onAdded }: Props) {
  const words = PROVIDER_WORDS[provider];
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
      onAdded(c);
    } catch (e) {
      const field = errorField(e);
      // The name is the only field: anything about it (duplicate, refused) goes under it.
      if (field === null || field === "name") setError(errorMessage(e));
      else setFormError(errorMessage(e));
      setBusy(false);
      input.current?.focus();
    }
  };

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
