// Turning one identity provider's integration on and off, shared by its card on the Integrations
// page and its own page. Okta's switch pauses only Okta's connections, Entra's only Entra's.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call, type Provider } from "../api";
import { ConfirmDialog } from "../components/Dialog";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { plural } from "../lib/format";
import { providerName } from "../lib/providers";
import { commandKey } from "../lib/queries";

export function providerStatusText(enabled: boolean, connections: number): string {
  return enabled ? `On · ${plural(connections, "connection")}` : "Off";
}

/** Turns a provider's integration on or off; turning it off asks first. Test ids carry the
 *  provider: `okta-off-dialog`, `confirm-entra-off`. */
export function useProviderSwitch(provider: Provider) {
  const client = useQueryClient();
  const { toast } = useToast();
  const [confirmOff, setConfirmOff] = useState(false);
  const [busy, setBusy] = useState(false);
  const name = providerName(provider);

  const set = async (enabled: boolean) => {
    setBusy(true);
    try {
      client.setQueryData(commandKey("overview"), await call("set_provider_enabled", { provider, enabled }));
      toast(
        enabled
          ? `${name} integration turned on.`
          : `${name} integration turned off. ${name}'s requests are refused until you turn it back on.`,
      );
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  };

  const request = (enabled: boolean) => (enabled ? void set(true) : setConfirmOff(true));

  const dialog = confirmOff ? (
    <ConfirmDialog
      title={`Turn off the ${name} integration?`}
      confirmLabel="Turn off"
      danger
      onCancel={() => setConfirmOff(false)}
      onConfirm={async () => {
        await set(false);
        setConfirmOff(false);
      }}
      testid={`${provider}-off-dialog`}
      confirmTestid={`confirm-${provider}-off`}
      cancelTestid={`cancel-${provider}-off`}
    >
      <p>
        {name}'s requests will be refused until you turn it back on. Nothing is deleted
        {provider === "okta" ? ", and Microsoft Entra ID's connections keep working." : ", and Okta's connections keep working."}
      </p>
    </ConfirmDialog>
  ) : null;

  return { request, busy, dialog };
}
