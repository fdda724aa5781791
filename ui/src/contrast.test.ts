// @vitest-environment node
// The palette's text colours reach WCAG AA (4.5:1 for normal text) on every background they are
// used on. The colours are read from styles.css itself, so a change to the palette is checked.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const css = readFileSync(new URL("./styles.css", import.meta.url), "utf8");

function colour(name: string): string {
  if (name === "white") return "#ffffff";
  const m = css.match(new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6});`));
  if (!m) throw new Error(`--${name} is not a #rrggbb colour in styles.css`);
  return m[1];
}

/** WCAG 2's relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// [text, background]: where each text colour appears.
const PAIRS: [string, string][] = [
  ...["bg", "surface", "surface-2", "sidebar", "neutral-soft", "accent-soft"].map((bg): [string, string] => ["text-3", bg]),
  ...["bg", "surface", "surface-2", "sidebar", "neutral-soft"].map((bg): [string, string] => ["text-2", bg]),
  // The green status pill ("Active"), success marks, and white on a green button.
  ["success", "success-soft"],
  ["success", "surface"],
  ["success", "surface-2"],
  ["white", "success"],
  ["danger", "danger-soft"],
  ["danger", "surface"],
  ["warning", "warning-soft"],
  ["accent-text", "accent-soft"],
  ["white", "accent"],
];

describe("the palette's contrast", () => {
  it("computes WCAG ratios", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#6b7585", "#f1f3f6")).toBeLessThan(4.5); // the muted grey this replaced
  });

  it.each(PAIRS)("--%s on --%s reaches 4.5:1", (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(4.5);
  });
});
