// Settings > Notifications: the desktop notifications SCIM Desk shows when the admin must act —
// a push only the admin can fix, a stretch of time Okta couldn't reach the desk, a reconcile that
// found the directory out of step with Okta — at most one of a kind an hour. The same switch is
// `scimdesk config set notifications on|off`.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call, type NoticeKind, type NotificationSettings } from "../api";
import { Switch, Time } from "../components/bits";
import { SettingsPage } from "../components/SettingsPage";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { command, commandKey } from "../lib/queries";

/** What each kind is about, and the page its notification opens. */
export const KIND_TEXT: Record<NoticeKind, { title: string; when: string; opens: string; href: string }> = {
  push_failed: {
    title: "A push only you can fix",
    when: "A change from Okta or Microsoft Entra ID failed because of a username or group name already taken, or a value the mapping can't take.",
    opens: "Activity",
    href: "#/activity",
  },
  window_ended: {
    title: "Okta couldn't reach SCIM Desk",
    when: "For five minutes or more (the computer asleep, the app closed, the tunnel down); Okta's pushes may have failed.",
    opens: "Okta",
    href: "#/settings/integrations/okta",
  },
  drift_found: {
    title: "The directory is out of step with Okta",
    when: "A reconcile found employees that differ from Okta.",
    opens: "Okta",
    href: "#/settings/integrations/okta",
  },
};

export function NotificationsPage() {
  const settings = useQuery(command("notification_settings"));
  return (
    <SettingsPage
      title="Notifications"
      lede={
        <>
          SCIM Desk tells you on your desktop when something needs you, at most once an hour for each kind. Clicking a
          notification opens the page that explains it.
        </>
      }
      settings={settings}
    >
      {(data) => <NotificationsCard settings={data} />}
    </SettingsPage>
  );
}

export function NotificationsCard({ settings }: { settings: NotificationSettings }) {
  const client = useQueryClient();
  const { toast } = useToast();
  const [busy, setBusy] = useState(false);

  const set = async (enabled: boolean) => {
    setBusy(true);
    try {
      client.setQueryData(commandKey("notification_settings"), await call("set_notifications_enabled", { enabled }));
      toast(enabled ? "Desktop notifications turned on." : "Desktop notifications turned off.");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="notifications-card" aria-labelledby="notifications-title">
      <div className="card-head">
        <div className="card-head-title">
          <h2 id="notifications-title" className="card-title">Desktop notifications</h2>
        </div>
        <Switch
          checked={settings.enabled}
          onChange={(next) => void set(next)}
          disabled={busy}
          label={settings.enabled ? "On" : "Off"}
          testid="notifications-switch"
        />
      </div>
      <ul className="notice-kinds">
        {settings.kinds.map(({ kind, last_at }) => {
          const text = KIND_TEXT[kind];
          return (
            <li key={kind} className="notice-kind" data-testid="notice-kind" data-kind={kind}>
              <p className="notice-kind-title">{text.title}</p>
              <p className="muted small">
                {text.when} Opens <a href={text.href}>{text.opens}</a>.
              </p>
              <p className="small" data-testid="notice-last">
                {last_at ? (
                  <>
                    Last notified <Time iso={last_at} />
                  </>
                ) : (
                  "Not notified yet"
                )}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
