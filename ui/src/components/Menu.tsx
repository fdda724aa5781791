// A menu button: Enter/Space/ArrowDown open it on the first item, arrows and Home/End move,
// Escape closes and gives focus back to the button, a click elsewhere or Tab closes it.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";

export type MenuItem = {
  label: string;
  onSelect: () => void;
  icon?: ReactNode;
  danger?: boolean;
  testid?: string;
};

type Props = {
  label: string; // the button's accessible name
  icon: ReactNode;
  items: MenuItem[];
  testid?: string;
};

function menuItems(list: HTMLElement | null): HTMLButtonElement[] {
  return Array.from(list?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);
}

export function Menu({ label, icon, items, testid }: Props) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const openAt = useRef<"first" | "last">("first");

  useEffect(() => {
    if (!open) return;
    const els = menuItems(list.current);
    (openAt.current === "last" ? els[els.length - 1] : els[0])?.focus();
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const close = (focusButton: boolean) => {
    setOpen(false);
    if (focusButton) button.current?.focus();
  };

  const onButtonKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      openAt.current = e.key === "ArrowUp" ? "last" : "first";
      setOpen(true);
    }
  };

  const onMenuKey = (e: KeyboardEvent) => {
    const els = menuItems(list.current);
    const i = els.indexOf(document.activeElement as HTMLButtonElement);
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        els[(i + 1) % els.length]?.focus();
        break;
      case "ArrowUp":
        e.preventDefault();
        els[(i - 1 + els.length) % els.length]?.focus();
        break;
      case "Home":
        e.preventDefault();
        els[0]?.focus();
        break;
      case "End":
        e.preventDefault();
        els[els.length - 1]?.focus();
        break;
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        close(true);
        break;
      case "Tab":
        close(false);
        break;
    }
  };

  return (
    <div className="menu-wrap" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        data-testid={testid}
        onClick={() => {
          openAt.current = "first";
          setOpen((o) => !o);
        }}
        onKeyDown={onButtonKey}
      >
        {icon}
      </button>
      {open && (
        <div className="menu" role="menu" id={menuId} aria-label={label} ref={list} onKeyDown={onMenuKey}>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`menu-item${item.danger ? " menu-item-danger" : ""}`}
              data-testid={item.testid}
              onClick={() => {
                close(true);
                item.onSelect();
              }}
            >
              {item.icon}
              <span>{item.label}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
