// The browser mock answers with the core's recorded shapes and words (./mockRecorded.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "./api";
import { installMock } from "./mock";
import { ERRORS, TUNNEL } from "./mockRecorded";

beforeAll(() => installMock());

describe("the browser mock", () => {
  it("starts from the core's status of an online quick tunnel, with base URLs in the core's format", async () => {
    const t = await call("tunnel_status");
    expect(t).toEqual(TUNNEL.online);
    const [c] = await call("list_connections");
    expect(c.base_url).toBe(`${TUNNEL.online.public_url}/scim/v2/${c.id}`);
  });

  it("refuses in the core's words, with the value given", async () => {
    await expect(call("add_connection", { name: " ", provider: "okta" })).rejects.toEqual(ERRORS.name_empty);
    await expect(call("add_connection", { name: "Okta production", provider: "okta" })).rejects.toMatchObject({
      field: "name",
      message: ERRORS.name_taken.message.replace("okta production", "Okta production"),
    });
    await expect(call("set_tunnel", { input: { mode: "own", url: "http://desk.example", hostname: null, token: null, domain: null, authtoken: null } })).rejects.toMatchObject({
      field: "url",
      message: expect.stringContaining("'http://desk.example'"),
    });
  });

  it("reports a URL change with every connection's new base URL, until acknowledged", async () => {
    const t = await call("set_tunnel", { input: { mode: "own", url: "https://desk.example", hostname: null, token: null, domain: null, authtoken: null } });
    expect(t.url_changed?.to).toBe("https://desk.example");
    const connections = await call("list_connections");
    expect(t.url_changed?.base_urls.map((b) => b.base_url)).toEqual(connections.map((c) => c.base_url));
    expect((await call("acknowledge_url_change")).url_changed).toBeNull();
  });
});

describe("the browser mock's attribute mapping", () => {
  it("re-derives the provider's employees from their documents in announced batches, custom fields included", async () => {
    const { listen } = await import("@tauri-apps/api/event");
    const events: { done: number; total: number; finished: boolean }[] = [];
    const stop = await listen<{ kind: string; done: number; total: number; finished: boolean }>("scimdesk://change", (e) => {
      if (e.payload.kind === "rederive") events.push(e.payload);
    });
    const before = await call("attribute_mapping", { provider: "okta" });
    const sources = await call("mapping_sources", { provider: "okta" });
    const code = sources.find((s) => s.path.endsWith(":jobCode"))!;
    const start = sources.find((s) => s.path.endsWith(":startDate"))!;
    expect(code.examples.length).toBeGreaterThan(0);
    const fields = before.fields.map(({ key, label, kind, custom, path }) => ({ key, label, kind, custom, path }));
    await expect(
      call("save_attribute_mapping", { provider: "okta", input: { fields: fields.map((f) => ({ ...f, path: f.key === "job_title" ? "title of job" : f.path })), allow_shared_paths: false } }),
    ).rejects.toMatchObject({ field: "fields.job_title.path" });
    const input = {
      fields: [
        ...fields.map((f) => ({ ...f, path: f.key === "job_title" ? code.path : f.path })),
        { key: "start_date", label: "Start date", kind: "date" as const, custom: true, path: start.path },
      ],
      allow_shared_paths: false,
    };
    const saved = await call("save_attribute_mapping", { provider: "okta", input });
    expect(saved.is_default).toBe(false);
    await expect.poll(() => events.at(-1)?.finished, { timeout: 10_000 }).toBe(true);
    stop();
    expect(events[0]).toMatchObject({ done: 0, finished: false });
    const page = await call("list_employees", { query: { search: "", status: "all", limit: 500, after: null, before: null, last: false } });
    expect(page.custom_fields.map((c) => c.key)).toContain("start_date");
    const okta = page.items.filter((e) => e.custom.start_date !== undefined);
    expect(okta.length).toBeGreaterThan(0);
    expect(okta.every((e) => /^[A-Z]{3}-\d$/.test(e.job_title ?? ""))).toBe(true);
    expect((await call("reset_attribute_mapping", { provider: "okta" })).is_default).toBe(true);
  });
});
