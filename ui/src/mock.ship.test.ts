// @vitest-environment node
// The mock backend is for `npm run dev` only: a production build must not contain it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "vite";

const outDir = mkdtempSync(join(tmpdir(), "scimdesk-ui-build-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)],
  );
}

describe("production bundle", () => {
  it("does not ship the mock backend", async () => {
    // Vitest runs with NODE_ENV=test, which would make this a development build.
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      await build({ mode: "production", logLevel: "silent", build: { outDir, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = env;
    }
    const js = files(outDir).filter((f) => f.endsWith(".js"));
    expect(js.length).toBeGreaterThan(0);
    const text = js.map((f) => readFileSync(f, "utf8")).join("\n");
    // Words only the mock contains: its log line, its seed data, the Tauri mock helpers.
    // (Checked as booleans so that a failure doesn't print the whole bundle.)
    expect(text.includes("mock backend installed")).toBe(false);
    expect(text.includes("northwind.example")).toBe(false);
    expect(text.includes("Okta sandbox")).toBe(false);
    expect(/__TAURI_INTERNALS__\.invoke\s*=[^=]/.test(text)).toBe(false);
    // …while the real app is there, built for production.
    expect(text.includes("Add Connection")).toBe(true);
    expect(text.includes("jsxDEV")).toBe(false);
  }, 60_000);
});
