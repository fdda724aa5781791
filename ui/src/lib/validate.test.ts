import { describe, expect, it } from "vitest";
import { portOf, validateConnectionName, validatePort } from "./validate";

describe("validateConnectionName", () => {
  it("refuses an empty or blank name", () => {
    expect(validateConnectionName("")).toMatch(/Enter a name/);
    expect(validateConnectionName("   ")).toMatch(/Enter a name/);
  });
  it("refuses more than 64 characters, counting characters not bytes", () => {
    expect(validateConnectionName("a".repeat(64))).toBeNull();
    expect(validateConnectionName("a".repeat(65))).toMatch(/at most 64/);
    expect(validateConnectionName("é".repeat(64))).toBeNull();
  });
  it("ignores surrounding spaces", () => {
    expect(validateConnectionName("  Okta production  ")).toBeNull();
    expect(validateConnectionName(" " + "a".repeat(64) + " ")).toBeNull();
  });
});

describe("validatePort", () => {
  it("accepts 1024–65535 only", () => {
    expect(validatePort("8743")).toBeNull();
    expect(validatePort("1024")).toBeNull();
    expect(validatePort("65535")).toBeNull();
    expect(validatePort("80")).not.toBeNull();
    expect(validatePort("65536")).not.toBeNull();
    expect(validatePort("12ab")).not.toBeNull();
    expect(validatePort("")).not.toBeNull();
  });
  it("reads the port of a listen address", () => {
    expect(portOf("127.0.0.1:8742")).toBe("8742");
    expect(portOf("[::1]:9000")).toBe("9000");
    expect(portOf(undefined)).toBe("");
  });
});
