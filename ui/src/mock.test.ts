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
