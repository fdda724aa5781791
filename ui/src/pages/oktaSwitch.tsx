// Turning the Okta integration on and off, shared by the Integrations card and the Okta page.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call } from "../api";
import { ConfirmDialog } from "../components/Dialog";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { plural } from "../lib/format";
import { commandKey } from "../lib/queries";

export function oktaStatusText(enabled: boolean, connections: number): string {
  return enabled ? `On · ${plural(connections, "connection")}` : "Off";
}

/** Turns the Okta integration on or off; turning it off asks first. Shared with the Okta page. */
export function useOktaSwitch() {
  const client = useQueryClient();
  const { toast } = useToast();
  const [confirmOff, setConfirmOff] = useState(false);
  const [busy, setBusy] = useState(false);

  const set = async (enabled: boolean) => {
    setBusy(true);
    try {
      client.setQueryData(commandKey("overview"), await call("set_okta_enabled", { enabled }));
      toast(enabled ? "Okta integration turned on." : "Okta integration turned off. Okta's requests are refused until you turn it back on.");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  };

  const request = (enabled: boolean) => (enabled ? void set(true) : setConfirmOff(true));

  const dialog = confirmOff ? (
    <ConfirmDialog
      title="Turn off the Okta integration?"
      confirmLabel="Turn off"
      danger
      onCancel={() => setConfirmOff(false)}
      onConfirm={async () => {
        await set(false);
        setConfirmOff(false);
      }}
      testid="okta-off-dialog"
      confirmTestid="confirm-okta-off"
      cancelTestid="cancel-okta-off"
    >
      <p>Okta's requests will be refused until you turn it back on. Nothing is deleted.</p>
    </ConfirmDialog>
  ) : null;

  return { request, busy, dialog };
}
