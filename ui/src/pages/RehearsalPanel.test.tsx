import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Rehearsal, RehearsalNote } from "../api";
import { RehearsalPanel } from "./ConnectionCard";

afterEach(cleanup);

const passed = (reachable_by_provider: boolean, note: RehearsalNote | null): Rehearsal => ({
  provider: "okta",
  base_url: "http://127.0.0.1:8742/scim/v2/c1",
  ok: true,
  steps: [{ step: "reach", request: "GET http://127.0.0.1:8742/scim/v2/c1", outcome: "ok", message: "The public URL answered (HTTP 401)." }],
  note,
  reachable_by_provider,
});

const show = (result: Rehearsal) =>
  render(<RehearsalPanel provider={result.provider} state={{ running: false, result }} onClose={() => {}} />);

describe("the rehearsal's verdict", () => {
  it("says Okta will connect only when every step passed through a URL Okta can reach", () => {
    show(passed(true, null));
    expect(screen.getByRole("heading").textContent).toBe("Okta will be able to connect");
  });

  it("does not promise a connection through a URL Okta can't reach, and shows why as a warning", () => {
    show(passed(false, { kind: "plain_http" }));
    const heading = screen.getByRole("heading").textContent ?? "";
    expect(heading).not.toContain("will be able to connect");
    expect(heading).toContain("can't reach this URL");
    const note = screen.getByTestId("rehearsal-note");
    expect(note.textContent).toContain("Okta only calls HTTPS URLs");
    expect(note.className).toContain("rehearsal-note-warn");
  });

  it("says Okta would not connect when a step failed", () => {
    show({ ...passed(true, null), ok: false, steps: [{ ...passed(true, null).steps[0], outcome: "failed" }] });
    expect(screen.getByRole("heading").textContent).toBe("Okta would not be able to connect");
  });
});
