// Small shared pieces: times, status pills, the copy button, the switch.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { copyText, type Employee } from "../api";
import { absoluteTime, relativeTime } from "../lib/format";
import { errorMessage } from "../lib/errors";
import { IconCheck, IconCopy } from "./Icons";
import { useToast } from "./Toasts";

// One clock for every relative time on screen, rather than a timer per row.
const clockListeners = new Set<(d: Date) => void>();
let clock: ReturnType<typeof setInterval> | null = null;

/** Re-renders every half minute so relative times stay true while a page is open. */
export function useNow(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    clockListeners.add(setNow);
    if (clock === null) clock = setInterval(() => clockListeners.forEach((l) => l(new Date())), 30000);
    return () => {
      clockListeners.delete(setNow);
      if (clockListeners.size === 0 && clock !== null) {
        clearInterval(clock);
        clock = null;
      }
    };
  }, []);
  return now;
}

/** "5 minutes ago", with the exact local time in the tooltip. */
export function Time({ iso, className }: { iso: string | null | undefined; className?: string }) {
  const now = useNow();
  if (!iso) return <span className={className}>—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)} className={className}>
      {relativeTime(iso, now)}
    </time>
  );
}

const STATUS_LABEL: Record<Employee["status"], string> = {
  active: "Active",
  deactivated: "Deactivated",
  removed: "Removed",
};

export function StatusPill({ status, testid }: { status: Employee["status"]; testid?: string }) {
  const label = STATUS_LABEL[status] ?? status;
  return (
    <span className={`pill pill-${status}`} data-testid={testid}>
      {label}
    </span>
  );
}

type CopyProps = {
  /** The text, or a function that fetches it (the token is fetched only when copied). */
  text: string | (() => Promise<string>);
  label: string; // accessible name: "Copy base URL"
  what: string; // for the announcement: "Base URL"
  testid?: string;
  compact?: boolean;
};

/** Copies to the clipboard and shows "Copied" for a moment. */
export function CopyButton({ text, label, what, testid, compact }: CopyProps) {
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const { toast, announce } = useToast();
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const copy = async () => {
    try {
      const value = typeof text === "string" ? text : await text();
      await copyText(value);
      setCopied(true);
      announce(`${what} copied`);
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => setCopied(false), 1800);
    } catch (e) {
      toast(`Couldn't copy the ${what.toLowerCase()}: ${errorMessage(e)}`, "error");
    }
  };
  return (
    <button
      type="button"
      className={`button button-small copy-button${copied ? " is-copied" : ""}${compact ? " button-compact" : ""}`}
      onClick={copy}
      aria-label={copied ? `${what} copied` : label}
      title={label}
      data-testid={testid}
      data-copied={copied ? "true" : undefined}
    >
      {copied ? <IconCheck /> : <IconCopy />}
      <span>{copied ? "Copied" : "Copy"}</span>
    </button>
  );
}

type SwitchProps = {
  checked: boolean;
  onChange: (next: boolean) => void;
  label: ReactNode;
  testid?: string;
  disabled?: boolean;
  hideLabel?: boolean;
};

/** A checkbox drawn as a switch (the input itself is styled), so tests and assistive tech see `checked`. */
export function Switch({ checked, onChange, label, testid, disabled, hideLabel }: SwitchProps) {
  const id = useId();
  return (
    <span className="switch" onClick={(e) => e.stopPropagation()}>
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch-input"
        checked={checked}
        disabled={disabled}
        aria-checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        data-testid={testid}
      />
      <label htmlFor={id} className={hideLabel ? "switch-label visually-hidden" : "switch-label"}>
        {label}
      </label>
    </span>
  );
}

/** A label, the input, help text and an error; `children` receives the ids to wire up. */
export function Field({
  label,
  help,
  error,
  errorTestid,
  children,
  optional,
}: {
  label: string;
  help?: ReactNode;
  error?: string | null;
  errorTestid?: string;
  optional?: boolean;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const helpId = `${id}-help`;
  const errId = `${id}-error`;
  const describedBy = [error ? errId : null, help ? helpId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id} className="field-label">
        {label}
        {optional && <span className="field-optional"> (optional)</span>}
      </label>
      {children({ id, describedBy, invalid: !!error })}
      {error && (
        <p id={errId} className="field-error" data-testid={errorTestid} role="alert">
          {error}
        </p>
      )}
      {help && (
        <p id={helpId} className="field-help">
          {help}
        </p>
      )}
    </div>
  );
}

/** A progress bar: `fraction` of the way (0–1), or moving without end while it is unknown. */
export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  const pct = fraction === null ? null : Math.round(fraction * 100);
  return (
    <div
      className={`progress${pct === null ? " is-indeterminate" : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
