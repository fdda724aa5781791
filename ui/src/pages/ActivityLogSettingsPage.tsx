// Settings > Activity log: how long the log keeps Okta's requests, and how large it is now.
// SCIM Desk deletes older lines in the background; the same settings are
// `scimdesk config set activity-retention-days | activity-retention-lines`.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call, isAppError, type ActivitySettings } from "../api";
import { Time } from "../components/bits";
import { IconActivity } from "../components/Icons";
import { SettingsPage } from "../components/SettingsPage";
import { useToast } from "../components/Toasts";
import { errorMessage } from "../lib/errors";
import { command, commandKey } from "../lib/queries";
import { validateWholeNumber, wholeNumber } from "../lib/validate";

export const RETENTION_DAYS = { min: 1, max: 36_500 };
export const RETENTION_LINES = { min: 100, max: 1_000_000_000 };

type Field = "days" | "lines";

const count = (n: number) => n.toLocaleString("en-US");

export function ActivityLogSettingsPage() {
  const settings = useQuery(command("activity_settings"));
  return (
    <SettingsPage
      title="Activity log"
      lede={
        <>
          Every request Okta makes is a line in Activity. SCIM Desk keeps the lines you choose here and deletes older
          ones in the background, a few at a time, without holding up Okta.
        </>
      }
      settings={settings}
    >
      {(data) => <RetentionCard settings={data} />}
    </SettingsPage>
  );
}

export function RetentionCard({ settings }: { settings: ActivitySettings }) {
  const { retention, defaults, size } = settings;
  const [days, setDays] = useState(String(retention.days));
  const [lines, setLines] = useState(String(retention.lines));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { toast } = useToast();
  const client = useQueryClient();

  // Follows a change made elsewhere (by a command on the same data directory), unless the admin
  // is editing.
  const [edited, setEdited] = useState(false);
  const [shown, setShown] = useState(retention);
  if (!edited && (shown.days !== retention.days || shown.lines !== retention.lines)) {
    setShown(retention);
    setDays(String(retention.days));
    setLines(String(retention.lines));
  }

  const save = async () => {
    const found: Partial<Record<Field, string>> = {};
    const d = validateWholeNumber(days, RETENTION_DAYS.min, RETENTION_DAYS.max, "days");
    const l = validateWholeNumber(lines, RETENTION_LINES.min, RETENTION_LINES.max, "lines");
    if (d) found.days = d;
    if (l) found.lines = l;
    setErrors(found);
    setFormError(null);
    if (d || l) return;
    setBusy(true);
    try {
      const saved = await call("set_activity_retention", { retention: { days: wholeNumber(days), lines: wholeNumber(lines) } });
      setEdited(false);
      setShown(saved.retention);
      setDays(String(saved.retention.days));
      setLines(String(saved.retention.lines));
      client.setQueryData(commandKey("activity_settings"), saved);
      toast(`The activity log keeps ${saved.retention.days} days or ${count(saved.retention.lines)} lines, whichever is fewer.`);
    } catch (e) {
      if (isAppError(e) && (e.field === "days" || e.field === "lines")) setErrors({ [e.field]: e.message });
      else setFormError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const input = (field: Field, value: string, set: (v: string) => void, label: string, help: string) => (
    <div className="field">
      <label className="field-label" htmlFor={`retention-${field}`}>
        {label}
      </label>
      <input
        id={`retention-${field}`}
        className="input input-number"
        inputMode="numeric"
        value={value}
        onChange={(e) => {
          setEdited(true);
          set(e.target.value);
        }}
        aria-invalid={!!errors[field]}
        aria-describedby={errors[field] ? `retention-${field}-error` : `retention-${field}-help`}
        data-testid={`retention-${field}`}
      />
      {errors[field] ? (
        <p className="field-error" role="alert" id={`retention-${field}-error`} data-testid={`retention-${field}-error`}>
          {errors[field]}
        </p>
      ) : (
        <p className="field-help" id={`retention-${field}-help`}>
          {help}
        </p>
      )}
    </div>
  );

  return (
    <section className="card" data-testid="retention-card" aria-labelledby="retention-title">
      <div className="card-head">
        <div className="card-head-title">
          <span className="card-icon"><IconActivity /></span>
          <h2 id="retention-title" className="card-title">What the log keeps</h2>
        </div>
      </div>
      <p className="card-lede" data-testid="activity-log-size">
        {size.lines === 0 ? (
          "The log is empty."
        ) : (
          <>
            Now {count(size.lines)} {size.lines === 1 ? "line" : "lines"}
            {size.oldest_at && (
              <>
                , the oldest from <Time iso={size.oldest_at} />
              </>
            )}
            .
          </>
        )}
      </p>
      <form
        className="retention-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        noValidate
      >
        <div className="field-grid">
          {input("days", days, setDays, "Keep lines for (days)", `Lines older than this are deleted. Default: ${defaults.days} days.`)}
          {input(
            "lines",
            lines,
            setLines,
            "Keep at most (lines)",
            `Beyond this many, the oldest lines are deleted. Default: ${count(defaults.lines)}.`,
          )}
        </div>
        <p className="field-help">Whichever keeps fewer lines applies.</p>
        {formError && (
          <p className="field-error form-error" role="alert">
            {formError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy} data-testid="retention-save">
            {busy ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </section>
  );
}
