import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { DataProvider } from "../lib/queries";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ConnectionView } from "../api";
import { AddConnectionDialog } from "../pages/AddConnectionDialog";
import { ConnectionCard } from "../pages/ConnectionCard";
import { TOKEN_MASK } from "../lib/format";
import { Menu } from "./Menu";
import { ToastProvider } from "./Toasts";

afterEach(() => {
  cleanup();
  clearMocks();
});

const conn: ConnectionView = {
  id: "c1",
  name: "Okta production",
  provider: "okta",
  base_url: "https://scim.example.com/scim/v2/c1",
  created_at: "2026-11-20T10:00:00Z",
  last_contact: null,
  refused: null,
  token_kept: true,
};

describe("Add connection dialog", () => {
  function setup(handler: (cmd: string, args: Record<string, unknown>) => unknown) {
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      return handler(cmd, (args ?? {}) as Record<string, unknown>);
    });
    const onAdded = vi.fn();
    const onClose = vi.fn();
    render(
      <ToastProvider>
        <AddConnectionDialog provider="okta" onAdded={onAdded} onClose={onClose} />
      </ToastProvider>,
    );
    const input = screen.getByTestId("connection-name") as HTMLInputElement;
    const submit = () => fireEvent.submit(input.form!);
    return { calls, onAdded, onClose, input, submit };
  }

  it("refuses an empty name without asking the backend", async () => {
    const { calls, submit, onAdded } = setup(() => conn);
    submit();
    expect(await screen.findByTestId("connection-name-error")).toHaveProperty("textContent", "Enter a name for this connection.");
    expect(calls).not.toContain("add_connection");
    expect(onAdded).not.toHaveBeenCalled();
  });

  it("refuses a name over 64 characters", async () => {
    const { calls, input, submit } = setup(() => conn);
    fireEvent.change(input, { target: { value: "x".repeat(65) } });
    submit();
    expect((await screen.findByTestId("connection-name-error")).textContent).toMatch(/at most 64/);
    expect(calls).not.toContain("add_connection");
  });

  it("shows the backend's refusal under the field", async () => {
    const { input, submit, onAdded } = setup((cmd) => {
      if (cmd === "add_connection") throw { message: 'A connection named "Okta production" already exists.', field: "name" };
    });
    fireEvent.change(input, { target: { value: "Okta production" } });
    submit();
    expect((await screen.findByTestId("connection-name-error")).textContent).toMatch(/already exists/);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(onAdded).not.toHaveBeenCalled();
  });

  it("sends the trimmed name and hands back the new connection", async () => {
    let sent: unknown = null;
    const { input, submit, onAdded } = setup((cmd, args) => {
      if (cmd === "add_connection") {
        sent = args.name;
        return conn;
      }
    });
    fireEvent.change(input, { target: { value: "  Okta production " } });
    submit();
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith(conn));
    expect(sent).toBe("Okta production");
  });

  it("cancels", () => {
    const { onClose } = setup(() => null);
    fireEvent.click(screen.getByTestId("cancel-connection"));
    expect(onClose).toHaveBeenCalled();
  });

  it("in server mode shows the token once, to copy, and hands back the connection without it", async () => {
    const added: ConnectionView = { ...conn, token_kept: false, new_token: "0nce-token_value" };
    let clipboard: string | null = null;
    const { calls, input, submit, onAdded } = setup((cmd, args) => {
      if (cmd === "add_connection") return added;
      if (cmd === "plugin:clipboard-manager|write_text") clipboard = (args as { text: string }).text;
    });
    fireEvent.change(input, { target: { value: "Okta production" } });
    submit();
    const note = await screen.findByTestId("token-once-note");
    expect(note.textContent).toContain("shown only once");
    expect(note.textContent).toContain("Regenerate token");
    expect(screen.getByTestId("new-token").textContent).toBe("0nce-token_value");
    expect(screen.getByTestId("new-base-url").textContent).toBe(conn.base_url);
    expect(onAdded).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("copy-new-token"));
    await waitFor(() => expect(clipboard).toBe("0nce-token_value"));
    // Copied from what was shown: the token is never asked for again.
    expect(calls).not.toContain("connection_token");
    fireEvent.click(screen.getByTestId("done-connection"));
    expect(onAdded).toHaveBeenCalledTimes(1);
    const handed = onAdded.mock.calls[0][0] as ConnectionView;
    expect(handed.new_token).toBeUndefined();
    expect(handed.token_kept).toBe(false);
  });
});

describe("Connection card", () => {
  function setup() {
    let clipboard: string | null = null;
    let tokenFetches = 0;
    mockIPC((cmd, args) => {
      if (cmd === "connection_token") {
        tokenFetches++;
        return "s3cr3t-token_value";
      }
      if (cmd === "plugin:clipboard-manager|write_text") clipboard = (args as { text: string }).text;
    });
    render(
      <ToastProvider>
        <DataProvider>
          <ConnectionCard connection={conn} highlighted={false} onDeleted={() => {}} />
        </DataProvider>
      </ToastProvider>,
    );
    return { clipboard: () => clipboard, tokenFetches: () => tokenFetches };
  }

  it("shows the base URL exactly and the token masked", () => {
    setup();
    expect(screen.getByTestId("base-url").textContent).toBe(conn.base_url);
    expect(screen.getByTestId("token").textContent).toBe(TOKEN_MASK);
    expect(screen.getByTestId("last-contact").textContent).toMatch(/Never/);
  });

  it("copies the real token without revealing it", async () => {
    const s = setup();
    fireEvent.click(screen.getByTestId("copy-token"));
    await waitFor(() => expect(s.clipboard()).toBe("s3cr3t-token_value"));
    expect(screen.getByTestId("token").textContent).toBe(TOKEN_MASK);
    expect(screen.getByTestId("copy-token").textContent).toMatch(/Copied/);
  });

  it("reveals and hides the token", async () => {
    setup();
    fireEvent.click(screen.getByTestId("reveal-token"));
    await waitFor(() => expect(screen.getByTestId("token").textContent).toBe("s3cr3t-token_value"));
    expect(screen.getByTestId("reveal-token").textContent).toMatch(/Hide/);
    fireEvent.click(screen.getByTestId("reveal-token"));
    expect(screen.getByTestId("token").textContent).toBe(TOKEN_MASK);
  });

  it("in server mode offers Regenerate instead of showing or copying a kept token", async () => {
    const calls: string[] = [];
    let clipboard: string | null = null;
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === "regenerate_token") return "n3w-token_value";
      if (cmd === "plugin:clipboard-manager|write_text") clipboard = (args as { text: string }).text;
    });
    render(
      <ToastProvider>
        <DataProvider>
          <ConnectionCard connection={{ ...conn, token_kept: false }} highlighted={false} onDeleted={() => {}} />
        </DataProvider>
      </ToastProvider>,
    );
    expect(screen.getByTestId("token-not-kept").textContent).toContain("server mode");
    expect(screen.queryByTestId("reveal-token")).toBeNull();
    expect(screen.queryByTestId("copy-token")).toBeNull();
    fireEvent.click(screen.getByTestId("regenerate-token-inline"));
    fireEvent.click(await screen.findByTestId("confirm-regenerate"));
    await waitFor(() => expect(screen.getByTestId("token").textContent).toBe("n3w-token_value"));
    expect(screen.getByTestId("regenerated-hint").textContent).toContain("shown only this once");
    fireEvent.click(screen.getByTestId("copy-token"));
    await waitFor(() => expect(clipboard).toBe("n3w-token_value"));
    expect(calls).not.toContain("connection_token");
  });

  it("regenerates the token after asking, shows the new one and says to paste it", async () => {
    const asked: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "regenerate_token") {
        asked.push((args as { id: string }).id);
        return "n3w-token_value";
      }
    });
    render(
      <ToastProvider>
        <DataProvider>
          <ConnectionCard connection={conn} highlighted={false} onDeleted={() => {}} />
        </DataProvider>
      </ToastProvider>,
    );
    fireEvent.click(screen.getByTestId("connection-menu"));
    fireEvent.click(await screen.findByTestId("regenerate-token"));
    const dialog = await screen.findByTestId("regenerate-dialog");
    expect(dialog.textContent).toContain("Regenerate the token of Okta production?");
    expect(dialog.textContent).toContain("refused at once");
    fireEvent.click(screen.getByTestId("cancel-regenerate"));
    expect(asked).toEqual([]);
    expect(screen.getByTestId("token").textContent).toBe(TOKEN_MASK);

    fireEvent.click(screen.getByTestId("connection-menu"));
    fireEvent.click(await screen.findByTestId("regenerate-token"));
    fireEvent.click(await screen.findByTestId("confirm-regenerate"));
    await waitFor(() => expect(screen.getByTestId("token").textContent).toBe("n3w-token_value"));
    expect(asked).toEqual([conn.id]);
    expect(screen.getByTestId("regenerated-hint").textContent).toContain("the old one is refused");
    expect(screen.queryByTestId("regenerate-dialog")).toBeNull();
    // Hiding the token again puts the reminder away too.
    fireEvent.click(screen.getByTestId("reveal-token"));
    expect(screen.getByTestId("token").textContent).toBe(TOKEN_MASK);
    expect(screen.queryByTestId("regenerated-hint")).toBeNull();
  });

  it("labels the overflow menu with the connection's name", () => {
    setup();
    expect(screen.getByTestId("connection-menu").getAttribute("aria-label")).toBe("More actions for Okta production");
  });

  it("shows refused requests apart from Okta's last contact", () => {
    mockIPC(() => null);
    const tried: ConnectionView = {
      ...conn,
      last_contact: { at: "2026-11-20T11:00:00Z", status: 200, ok: true, detail: null },
      refused: { count: 1204, last_at: "2026-11-20T12:00:00Z" },
    };
    render(
      <ToastProvider>
        <DataProvider>
          <ConnectionCard connection={tried} highlighted={false} onDeleted={() => {}} />
        </DataProvider>
      </ToastProvider>,
    );
    expect(screen.getByTestId("last-contact").textContent).toMatch(/Succeeded/);
    const refused = screen.getByTestId("refused-requests").textContent ?? "";
    expect(refused).toMatch(/1,204 requests with a wrong or missing token/);
    expect(refused).toMatch(/last/);
  });

  it("says nothing of refused requests when there were none", () => {
    setup();
    expect(screen.queryByTestId("refused-requests")).toBeNull();
  });
});

describe("Menu", () => {
  it("moves with the arrow keys and closes on Escape, back on its button", async () => {
    const a = vi.fn();
    render(
      <Menu
        label="More actions"
        icon="⋮"
        testid="menu"
        items={[
          { label: "Rename", onSelect: () => {}, testid: "one" },
          { label: "Delete", onSelect: a, testid: "two" },
        ]}
      />,
    );
    const button = screen.getByTestId("menu");
    fireEvent.click(button);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("one")));
    expect(button.getAttribute("aria-expanded")).toBe("true");
    fireEvent.keyDown(screen.getByTestId("one"), { key: "ArrowDown" });
    expect(document.activeElement).toBe(screen.getByTestId("two"));
    fireEvent.keyDown(screen.getByTestId("two"), { key: "ArrowDown" });
    expect(document.activeElement).toBe(screen.getByTestId("one"));
    fireEvent.keyDown(screen.getByTestId("one"), { key: "End" });
    expect(document.activeElement).toBe(screen.getByTestId("two"));
    fireEvent.keyDown(screen.getByTestId("two"), { key: "Escape" });
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(a).not.toHaveBeenCalled();
  });

  it("runs the chosen item", async () => {
    const del = vi.fn();
    render(<Menu label="More" icon="⋮" testid="menu" items={[{ label: "Delete", onSelect: del, testid: "del" }]} />);
    fireEvent.click(screen.getByTestId("menu"));
    fireEvent.click(await screen.findByTestId("del"));
    expect(del).toHaveBeenCalledOnce();
    expect(screen.queryByRole("menu")).toBeNull();
  });
});

describe("Dialog", () => {
  it("is a labelled modal that takes focus, closes on Escape and gives focus back", async () => {
    const { Dialog } = await import("./Dialog");
    const { useState } = await import("react");
    function Harness() {
      const [open, setOpen] = useState(false);
      return (
        <>
          <button data-testid="opener" onClick={() => setOpen(true)}>Open</button>
          {open && (
            <Dialog title="Add an Okta connection" onClose={() => setOpen(false)} testid="dlg">
              <input data-testid="first" data-autofocus="" aria-label="Name" />
            </Dialog>
          )}
        </>
      );
    }
    render(<Harness />);
    const opener = screen.getByTestId("opener");
    opener.focus();
    fireEvent.click(opener);
    const dlg = await screen.findByTestId("dlg");
    expect(dlg.getAttribute("aria-modal")).toBe("true");
    expect(document.getElementById(dlg.getAttribute("aria-labelledby")!)?.textContent).toBe("Add an Okta connection");
    expect((dlg as HTMLDialogElement).open).toBe(true);
    expect(document.activeElement).toBe(screen.getByTestId("first"));
    // Escape reaches a modal <dialog> as a "cancel" event.
    act(() => {
      dlg.dispatchEvent(new Event("cancel", { cancelable: true }));
    });
    expect(screen.queryByTestId("dlg")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
