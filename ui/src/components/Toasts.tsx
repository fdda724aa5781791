// Toasts and a screen-reader announcer, both in aria-live regions that exist from the start
// (live regions added later are often not announced).
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { IconCheck, IconAlert, IconX } from "./Icons";

type Toast = { id: number; message: string; kind: "success" | "error" | "info" };
type ToastApi = {
  toast: (message: string, kind?: Toast["kind"]) => void;
  /** Says something to screen readers only ("Base URL copied"). */
  announce: (message: string) => void;
};

const Ctx = createContext<ToastApi>({ toast: () => {}, announce: () => {} });

export function useToast(): ToastApi {
  return useContext(Ctx);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [said, setSaid] = useState("");
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);

  const toast = useCallback(
    (message: string, kind: Toast["kind"] = "success") => {
      const id = nextId.current++;
      setToasts((ts) => [...ts.slice(-3), { id, message, kind }]);
      setTimeout(() => dismiss(id), kind === "error" ? 9000 : 5000);
    },
    [dismiss],
  );

  const announce = useCallback((message: string) => {
    setSaid("");
    // A fresh text node each time, so repeating the same words is announced again.
    setTimeout(() => setSaid(message), 30);
  }, []);

  const api = useMemo(() => ({ toast, announce }), [toast, announce]);

  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" aria-live="polite" aria-relevant="additions text">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" role={t.kind === "error" ? "alert" : "status"}>
            <span className="toast-icon">{t.kind === "error" ? <IconAlert /> : <IconCheck />}</span>
            <span className="toast-text">{t.message}</span>
            <button type="button" className="icon-button toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <IconX />
            </button>
          </div>
        ))}
      </div>
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {said}
      </div>
    </Ctx.Provider>
  );
}
