import { describe, expect, it } from "vitest";
import { defaultRoute, href, parseRoute } from "./route";

describe("parseRoute", () => {
  it("reads every screen", () => {
    expect(parseRoute("#/employees")).toEqual({ page: "employees" });
    expect(parseRoute("#/employees/abc-123")).toEqual({ page: "employee", id: "abc-123" });
    expect(parseRoute("#/activity")).toEqual({ page: "activity" });
    expect(parseRoute("#/settings/integrations")).toEqual({ page: "integrations" });
    expect(parseRoute("#/settings/integrations/okta")).toEqual({ page: "okta" });
    expect(parseRoute("#/settings/integrations/entra/mapping")).toEqual({ page: "mapping", provider: "entra" });
    expect(parseRoute("#/settings/integrations/workday/mapping").page).toBe("not-found");
    expect(parseRoute("#/settings/integrations/entra")).toEqual({ page: "entra" });
    expect(parseRoute("#/settings")).toEqual({ page: "integrations" });
    expect(parseRoute("#/settings/activity-log")).toEqual({ page: "activity-log" });
    expect(parseRoute("#/settings/general")).toEqual({ page: "general" });
    expect(parseRoute("#/settings/notifications")).toEqual({ page: "notifications" });
  });
  it("treats an empty hash as home", () => {
    expect(parseRoute("")).toEqual({ page: "home" });
    expect(parseRoute("#")).toEqual({ page: "home" });
    expect(parseRoute("#/")).toEqual({ page: "home" });
  });
  it("tolerates a trailing slash and decodes ids", () => {
    expect(parseRoute("#/activity/")).toEqual({ page: "activity" });
    expect(parseRoute("#/employees/a%2Fb")).toEqual({ page: "employee", id: "a/b" });
  });
  it("reports unknown paths", () => {
    expect(parseRoute("#/nope")).toEqual({ page: "not-found", path: "/nope" });
    expect(parseRoute("#/employees/1/2")).toEqual({ page: "not-found", path: "/employees/1/2" });
  });
  it("round-trips through href", () => {
    for (const h of ["#/employees", "#/employees/x%2Fy", "#/activity", "#/settings/integrations", "#/settings/integrations/okta", "#/settings/integrations/entra", "#/settings/integrations/okta/mapping", "#/settings/activity-log", "#/settings/general", "#/settings/notifications"]) {
      expect(href(parseRoute(h))).toBe(h);
    }
  });
});

describe("defaultRoute", () => {
  it("opens the Okta page until there is a connection", () => {
    expect(defaultRoute(0)).toEqual({ page: "okta" });
    expect(defaultRoute(2)).toEqual({ page: "employees" });
  });
});
