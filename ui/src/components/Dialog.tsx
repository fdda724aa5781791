// A modal dialog on the native <dialog>: showModal() makes the rest of the window inert (the
// focus trap), Escape arrives as a "cancel" event, and focus goes back to the opener on close.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { IconX } from "./Icons";

type Props = {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** When given, the body is a form: Enter in a field submits it. */
  onSubmit?: () => void;
  testid?: string;
  size?: "small" | "medium" | "large";
  describedBy?: string;
  /** While true (a request in flight) Escape and the close button do nothing. */
  busy?: boolean;
};

const FOCUSABLE = 'input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

export function Dialog({ title, onClose, children, footer, onSubmit, testid, size = "medium", describedBy, busy }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // The latest `busy` and `onClose`, for the Escape handler set up once below.
  const busyRef = useRef(busy);
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    busyRef.current = busy;
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!el.open) el.showModal();
    // Start on the field marked for it, else the first control of the body, else the footer.
    const first =
      el.querySelector<HTMLElement>("[data-autofocus]") ??
      el.querySelector(".dialog-body")?.querySelector<HTMLElement>(FOCUSABLE) ??
      el.querySelector<HTMLElement>(".dialog-footer button");
    first?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      if (!busyRef.current) onCloseRef.current();
    };
    el.addEventListener("cancel", onCancel);
    return () => {
      el.removeEventListener("cancel", onCancel);
      if (el.open) el.close();
      // Give focus back to whatever opened the dialog, if it is still there.
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit?.();
  };

  const inner = (
    <>
      <header className="dialog-header">
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close"
          onClick={() => !busy && onClose()}
          disabled={busy}
        >
          <IconX />
        </button>
      </header>
      <div className="dialog-body">{children}</div>
      {footer && <footer className="dialog-footer">{footer}</footer>}
    </>
  );

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${size}`}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      data-testid={testid}
    >
      {onSubmit ? (
        <form onSubmit={submit} noValidate>
          {inner}
        </form>
      ) : (
        inner
      )}
    </dialog>
  );
}

type ConfirmProps = {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  onConfirm: () => Promise<void> | void;
  onCancel: () => void;
  testid?: string;
  confirmTestid?: string;
  cancelTestid?: string;
};

/** A question with Cancel and one action; the action button shows progress and errors stay inside. */
export function ConfirmDialog(p: ConfirmProps) {
  const descId = useId();
  const [busy, setBusy] = useStateSafe(false);
  return (
    <Dialog
      title={p.title}
      onClose={p.onCancel}
      testid={p.testid}
      size="small"
      describedBy={descId}
      busy={busy}
      footer={
        <>
          <button type="button" className="button" onClick={p.onCancel} data-testid={p.cancelTestid} disabled={busy} data-autofocus={p.danger ? "" : undefined}>
            {p.cancelLabel ?? "Cancel"}
          </button>
          <button
            type="button"
            className={`button ${p.danger ? "button-danger" : "button-primary"}`}
            data-testid={p.confirmTestid}
            disabled={busy}
            data-autofocus={p.danger ? undefined : ""}
            onClick={async () => {
              setBusy(true);
              try {
                await p.onConfirm();
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? "Working…" : p.confirmLabel}
          </button>
        </>
      }
    >
      <div id={descId} className="confirm-text">
        {p.children}
      </div>
    </Dialog>
  );
}

/** useState whose setter is ignored after unmount (the confirm closes its own dialog). */
function useStateSafe<T>(initial: T): [T, (v: T) => void] {
  const [v, set] = useState(initial);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  return [v, (x: T) => alive.current && set(x)];
}
