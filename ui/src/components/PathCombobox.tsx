// A SCIM attribute path: typed freely, or picked from the paths the identity provider has sent
// (with a few of their values, so the admin recognises the attribute). The ARIA 1.2 combobox:
// the input keeps the focus, the arrow keys move through the list, Enter picks, Escape closes.
import { useId, useMemo, useState } from "react";
import type { SeenAttribute } from "../api";
import { plural } from "../lib/format";

type Props = {
  value: string;
  onChange: (next: string) => void;
  sources: SeenAttribute[];
  label: string;
  id?: string;
  invalid?: boolean;
  describedBy?: string;
  placeholder?: string;
  testid?: string;
};

const SHOWN = 30;

export function PathCombobox({ value, onChange, sources, label, id, invalid, describedBy, placeholder, testid }: Props) {
  const own = useId();
  const inputId = id ?? own;
  const listId = `${inputId}-list`;
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  // What the text narrows to; the whole list when the text is one of the paths (just picked).
  const options = useMemo(() => {
    const t = value.trim().toLowerCase();
    const exact = sources.some((s) => s.path.toLowerCase() === t);
    const list = t === "" || exact ? sources : sources.filter((s) => s.path.toLowerCase().includes(t) || s.examples.some((x) => x.toLowerCase().includes(t)));
    return list.slice(0, SHOWN);
  }, [value, sources]);

  const pick = (s: SeenAttribute) => {
    onChange(s.path);
    setOpen(false);
    setActive(-1);
  };

  const shown = open && options.length > 0;
  const optionId = (i: number) => `${inputId}-opt-${i}`;

  return (
    <div className="combobox">
      <input
        id={inputId}
        className={`input mono-input${invalid ? " is-invalid" : ""}`}
        role="combobox"
        aria-label={label}
        aria-expanded={shown}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown && active >= 0 ? optionId(active) : undefined}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder ?? "Not mapped"}
        value={value}
        title={value.length > 40 ? value : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onClick={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && shown && active >= 0) {
            e.preventDefault();
            pick(options[active]);
          } else if (e.key === "Escape" && shown) {
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
        data-testid={testid}
      />
      <ul id={listId} className="combobox-list" role="listbox" aria-label={`Attributes for ${label}`} hidden={!shown}>
        {shown &&
          options.map((s, i) => (
            <li
              key={s.path}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              className={`combobox-option${i === active ? " is-active" : ""}`}
              // Picked before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s);
              }}
              data-testid="path-option"
              data-path={s.path}
            >
              <span className="mono combobox-path">{s.path}</span>
              <span className="muted small combobox-examples">
                {s.examples.length > 0 ? `e.g. ${s.examples.slice(0, 3).join(", ")}` : "no values yet"} · {plural(s.employees, "employee")}
              </span>
            </li>
          ))}
      </ul>
    </div>
  );
}
