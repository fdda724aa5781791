// Settings › Integrations › Okta › Attribute mapping: the mapping is read, edited through the
// attribute combobox, saved (refusals land at the row at fault), reset, extended with custom
// fields, imported; the re-derive that follows shows its progress and its result.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { AttributeMapping, ChangeEvent, MappedField, MappingInput, SeenAttribute } from "../api";
import { RederiveBanner } from "../components/Banners";
import { ToastProvider } from "../components/Toasts";
import { keyFromLabel, rowOfError } from "../lib/mapping";
import { DataProvider } from "../lib/queries";
import { MappingPage } from "./MappingPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const COST = "urn:example:params:scim:schemas:extension:acme:2.0:User:costCenter";
const BIZ = "urn:example:params:scim:schemas:extension:acme:2.0:User:businessTitle";

const builtIn = (key: string, label: string, path: string, required = false): MappedField => ({
  key, label, kind: "text", custom: false, path, default_path: path, required,
});

const DEFAULT: MappedField[] = [
  builtIn("email", "Email", 'emails[type eq "work"].value', true),
  builtIn("job_title", "Job title", "title"),
  builtIn("department", "Department", `${ENT}:department`),
];

const SOURCES: SeenAttribute[] = [
  { path: "title", examples: ["Engineer", "Designer", "Recruiter", "ignored"], employees: 5000 },
  { path: BIZ, examples: ["Senior Engineer", "Lead Designer"], employees: 4800 },
  { path: COST, examples: ["CC-4100", "CC-4200"], employees: 4700 },
];

type Calls = { saved: MappingInput[]; resets: number; imported: string[] };

function setup(
  opts: {
    refuse?: { field: string | null; message: string };
    importRefusal?: { field: string | null; message: string };
    /** What the core answers of the re-derive under way (a step behind its events). */
    rederive?: AttributeMapping["rederive"];
  } = {},
) {
  let fields = DEFAULT.map((f) => ({ ...f }));
  const calls: Calls = { saved: [], resets: 0, imported: [] };
  const view = (): AttributeMapping => ({
    provider: "okta",
    fields,
    is_default: fields.every((f) => f.custom ? !f.path : f.path === f.default_path),
    allow_shared_paths: false,
    rederive: opts.rederive ?? null,
  });
  const apply = (input: MappingInput) => {
    fields = input.fields.map((f) => ({ ...f, default_path: DEFAULT.find((d) => d.key === f.key)?.default_path ?? null, required: f.key === "email" }));
  };
  mockIPC(
    (cmd, args) => {
      const a = args as Record<string, unknown>;
      switch (cmd) {
        case "attribute_mapping":
          return view();
        case "mapping_sources":
          return SOURCES;
        case "save_attribute_mapping": {
          const input = a.input as MappingInput;
          calls.saved.push(input);
          if (opts.refuse) throw opts.refuse;
          apply(input);
          return view();
        }
        case "reset_attribute_mapping":
          calls.resets += 1;
          fields = DEFAULT.map((f) => ({ ...f }));
          return view();
        case "export_attribute_mapping":
          return JSON.stringify({ provider: "okta", fields }, null, 2);
        case "import_attribute_mapping": {
          calls.imported.push(a.json as string);
          if (opts.importRefusal) throw opts.importRefusal;
          apply({ fields: (JSON.parse(a.json as string) as { fields: MappingInput["fields"] }).fields, allow_shared_paths: false });
          return view();
        }
      }
      return null;
    },
    { shouldMockEvents: true },
  );
  render(
    <ToastProvider>
      <DataProvider>
        <RederiveBanner />
        <MappingPage provider="okta" />
      </DataProvider>
    </ToastProvider>,
  );
  return calls;
}

const rowOf = (key: string) => screen.getAllByTestId("mapping-row").find((r) => r.getAttribute("data-key") === key)!;
const pathInput = (key: string) => screen.getByTestId(`mapping-path-${key}`) as HTMLInputElement;
const save = () => screen.getByTestId("mapping-save") as HTMLButtonElement;

async function rederive(e: Omit<Extract<ChangeEvent, { kind: "rederive" }>, "kind">) {
  const { emit } = await import("@tauri-apps/api/event");
  await act(() => emit("scimdesk://change", { kind: "rederive", ...e }));
}

describe("Attribute mapping page", () => {
  it("shows each directory field with its attribute, the default marked, and nothing to save", async () => {
    setup();
    await waitFor(() => expect(screen.getAllByTestId("mapping-row")).toHaveLength(3));
    expect(rowOf("job_title").textContent).toMatch(/Job title/);
    expect(pathInput("job_title").value).toBe("title");
    expect(pathInput("department").value).toBe(`${ENT}:department`);
    expect(within(rowOf("job_title")).getByTestId("mapping-default").textContent).toBe("Default");
    expect(rowOf("email").textContent).toMatch(/required/);
    expect(screen.getByTestId("mapping-is-default")).toBeTruthy();
    expect(save().disabled).toBe(true);
    expect(screen.getByText(/No custom fields yet/)).toBeTruthy();
  });

  it("offers the attributes seen, with up to three example values, and saves the one picked; the progress and the result follow", async () => {
    const calls = setup();
    await waitFor(() => expect(pathInput("job_title").value).toBe("title"));
    fireEvent.focus(pathInput("job_title"));
    // The whole list while the text is one of the paths.
    const options = await within(rowOf("job_title")).findAllByTestId("path-option");
    expect(options.map((o) => o.getAttribute("data-path"))).toEqual(["title", BIZ, COST]);
    expect(options[0].textContent).toMatch(/e\.g\. Engineer, Designer, Recruiter · 5,000 employees/);
    expect(options[0].textContent).not.toMatch(/ignored/);
    // Typing narrows it, by path or by value.
    fireEvent.change(pathInput("job_title"), { target: { value: "Senior" } });
    const narrowed = within(rowOf("job_title")).getAllByTestId("path-option");
    expect(narrowed.map((o) => o.getAttribute("data-path"))).toEqual([BIZ]);
    fireEvent.mouseDown(narrowed[0]);
    expect(pathInput("job_title").value).toBe(BIZ);
    expect(within(rowOf("job_title")).queryByTestId("mapping-default")).toBeNull();
    expect(rowOf("job_title").textContent).toMatch(/Default: title/);
    expect(save().disabled).toBe(false);

    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0].allow_shared_paths).toBe(false);
    expect(calls.saved[0].fields.find((f) => f.key === "job_title")).toEqual({ key: "job_title", label: "Job title", kind: "text", custom: false, path: BIZ });
    await waitFor(() => expect(save().disabled).toBe(true));

    await rederive({ provider: "okta", done: 1234, total: 5000, finished: false });
    expect((await screen.findByTestId("rederive-count")).textContent).toBe("1,234 of 5,000");
    expect(within(screen.getByTestId("rederive-progress")).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("25");
    // The app-wide banner says so too.
    expect(screen.getByTestId("rederive-banner-count").textContent).toBe("1,234 of 5,000");
    expect(screen.getByTestId("rederive-banner").textContent).toMatch(/Updating employees' fields after a mapping change/);

    await rederive({ provider: "okta", done: 5000, total: 5000, finished: true });
    expect((await screen.findByTestId("rederive-result")).textContent).toBe("Okta's mapping is applied: 5,000 employees re-derived.");
    expect(screen.queryByTestId("rederive-progress")).toBeNull();
    expect(screen.queryByTestId("rederive-banner")).toBeNull();
    expect(screen.getAllByTestId("toast").some((t) => /5,000 employees re-derived/.test(t.textContent ?? ""))).toBe(true);
  });

  it("shows a re-derive under way when the page opens, and its end from the events though the core's answer lags", async () => {
    setup({ rederive: { provider: "okta", done: 1500, total: 5000 } });
    expect((await screen.findByTestId("rederive-count")).textContent).toBe("1,500 of 5,000");
    await rederive({ provider: "okta", done: 2000, total: 5000, finished: false });
    await waitFor(() => expect(screen.getByTestId("rederive-count").textContent).toBe("2,000 of 5,000"));
    await rederive({ provider: "okta", done: 5000, total: 5000, finished: true });
    expect((await screen.findByTestId("rederive-result")).textContent).toMatch(/5,000 employees re-derived/);
    expect(screen.queryByTestId("rederive-count")).toBeNull();
  });

  it("shows the core's refusal beside the field at fault, and keeps the edit", async () => {
    const calls = setup({ refuse: { field: "fields.job_title.path", message: '"title of job" is not a SCIM attribute path.' } });
    await waitFor(() => expect(pathInput("job_title").value).toBe("title"));
    fireEvent.change(pathInput("job_title"), { target: { value: "title of job" } });
    fireEvent.click(save());
    const error = await within(rowOf("job_title")).findByTestId("mapping-path-error");
    expect(error.textContent).toBe('"title of job" is not a SCIM attribute path.');
    expect(pathInput("job_title").getAttribute("aria-invalid")).toBe("true");
    expect(within(rowOf("department")).queryByTestId("mapping-path-error")).toBeNull();
    expect(pathInput("job_title").value).toBe("title of job");
    expect(calls.saved).toHaveLength(1);
    // Editing the field clears its message.
    fireEvent.change(pathInput("job_title"), { target: { value: "title" } });
    expect(within(rowOf("job_title")).queryByTestId("mapping-path-error")).toBeNull();
  });

  it("keeps the email field mapped without asking the core", async () => {
    const calls = setup();
    await waitFor(() => expect(pathInput("email").value).not.toBe(""));
    fireEvent.change(pathInput("email"), { target: { value: " " } });
    fireEvent.click(save());
    expect((await within(rowOf("email")).findByTestId("mapping-path-error")).textContent).toMatch(/Email must come from an attribute/);
    expect(calls.saved).toEqual([]);
  });

  it("asks before letting two fields come from one attribute", async () => {
    const calls = setup();
    await waitFor(() => expect(pathInput("department").value).not.toBe(""));
    fireEvent.change(pathInput("department"), { target: { value: "title" } });
    expect((await screen.findByTestId("mapping-shared")).textContent).toMatch(/Job title and Department both come from title/);
    fireEvent.click(screen.getByTestId("mapping-allow-shared"));
    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0].allow_shared_paths).toBe(true);
  });

  it("offers the choice when the core finds two fields on one attribute that the page did not", async () => {
    const calls = setup({ refuse: { field: "fields.department.path", message: "Department and Job title would both come from the same SCIM attribute. Choose another attribute for one of them, or allow fields to share one." } });
    await waitFor(() => expect(pathInput("department").value).not.toBe(""));
    fireEvent.change(pathInput("department"), { target: { value: "urn:ietf:params:scim:schemas:core:2.0:User:title" } });
    expect(screen.queryByTestId("mapping-shared")).toBeNull();
    fireEvent.click(save());
    expect((await within(rowOf("department")).findByTestId("mapping-path-error")).textContent).toMatch(/same SCIM attribute/);
    fireEvent.click(screen.getByTestId("mapping-allow-shared"));
    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(2));
    expect(calls.saved[1].allow_shared_paths).toBe(true);
  });

  it("restores one field's default, and resets the whole mapping after asking", async () => {
    const calls = setup();
    await waitFor(() => expect(pathInput("job_title").value).toBe("title"));
    fireEvent.change(pathInput("job_title"), { target: { value: COST } });
    fireEvent.click(within(rowOf("job_title")).getByTestId("mapping-restore"));
    expect(pathInput("job_title").value).toBe("title");
    expect(save().disabled).toBe(true);

    fireEvent.change(pathInput("job_title"), { target: { value: COST } });
    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    await waitFor(() => expect((screen.getByTestId("mapping-reset") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("mapping-reset"));
    const dialog = await screen.findByTestId("mapping-reset-dialog");
    expect(dialog.textContent).toMatch(/Every directory field goes back to the attribute it comes from by default/);
    fireEvent.click(screen.getByTestId("mapping-reset-confirm"));
    await waitFor(() => expect(calls.resets).toBe(1));
    await waitFor(() => expect(pathInput("job_title").value).toBe("title"));
    expect(screen.queryByTestId("mapping-reset-dialog")).toBeNull();
  });

  it("adds a custom field from its name, type and attribute, and removes one after saying it goes for every provider", async () => {
    const calls = setup();
    await waitFor(() => expect(screen.getAllByTestId("mapping-row")).toHaveLength(3));
    fireEvent.click(screen.getByTestId("mapping-add"));
    await screen.findByTestId("mapping-add-dialog");
    // A name that is no key is refused in the dialog.
    fireEvent.change(screen.getByTestId("mapping-new-label"), { target: { value: "42" } });
    fireEvent.click(screen.getByTestId("mapping-add-confirm"));
    expect((await screen.findByTestId("mapping-new-error")).textContent).toMatch(/Start the name with a letter/);
    fireEvent.change(screen.getByTestId("mapping-new-label"), { target: { value: "Job Title" } });
    fireEvent.click(screen.getByTestId("mapping-add-confirm"));
    expect(screen.getByTestId("mapping-new-error").textContent).toMatch(/already is a field "Job title"/);

    fireEvent.change(screen.getByTestId("mapping-new-label"), { target: { value: "Cost center" } });
    expect(screen.getByTestId("mapping-add-dialog").textContent).toMatch(/Stored as cost_center/);
    fireEvent.change(screen.getByTestId("mapping-new-kind"), { target: { value: "number" } });
    fireEvent.change(screen.getByTestId("mapping-new-path"), { target: { value: COST } });
    fireEvent.click(screen.getByTestId("mapping-add-confirm"));
    await waitFor(() => expect(screen.queryByTestId("mapping-add-dialog")).toBeNull());
    const row = rowOf("cost_center");
    expect(row.textContent).toMatch(/Cost center.*Custom.*Number/);
    expect(pathInput("cost_center").value).toBe(COST);

    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0].fields.at(-1)).toEqual({ key: "cost_center", label: "Cost center", kind: "number", custom: true, path: COST });

    await waitFor(() => expect(save().disabled).toBe(true));
    fireEvent.click(within(rowOf("cost_center")).getByTestId("mapping-remove"));
    const confirm = await screen.findByTestId("mapping-remove-dialog");
    expect(confirm.textContent).toMatch(/Remove the field "Cost center"\?/);
    expect(confirm.textContent).toMatch(/removed for Okta and Microsoft Entra ID alike/);
    fireEvent.click(screen.getByTestId("mapping-remove-confirm"));
    await waitFor(() => expect(screen.queryByTestId("mapping-remove-dialog")).toBeNull());
    expect(screen.getAllByTestId("mapping-row").map((r) => r.getAttribute("data-key"))).toEqual(["email", "job_title", "department"]);
    fireEvent.click(save());
    await waitFor(() => expect(calls.saved).toHaveLength(2));
    expect(calls.saved[1].fields.map((f) => f.key)).toEqual(["email", "job_title", "department"]);
  });

  it("shows the custom field's refusal at its name", async () => {
    setup({ refuse: { field: "fields.cost_center.label", message: "A custom field needs a name." } });
    await waitFor(() => expect(screen.getAllByTestId("mapping-row")).toHaveLength(3));
    fireEvent.click(screen.getByTestId("mapping-add"));
    fireEvent.change(await screen.findByTestId("mapping-new-label"), { target: { value: "Cost center" } });
    fireEvent.click(screen.getByTestId("mapping-add-confirm"));
    await waitFor(() => expect(screen.queryByTestId("mapping-add-dialog")).toBeNull());
    fireEvent.click(save());
    expect((await within(rowOf("cost_center")).findByTestId("mapping-label-error")).textContent).toBe("A custom field needs a name.");
  });

  it("exports the mapping as JSON to copy, and imports it back; an unreadable one is refused in the dialog", async () => {
    const calls = setup({ importRefusal: { field: "json", message: "This is not a mapping as Export JSON writes it: expected value at line 1." } });
    await waitFor(() => expect(screen.getAllByTestId("mapping-row")).toHaveLength(3));
    fireEvent.click(screen.getByTestId("mapping-export"));
    await waitFor(() => expect((screen.getByTestId("mapping-export-json") as HTMLTextAreaElement).value).toMatch(/"job_title"/));
    expect(screen.getByTestId("mapping-export-copy")).toBeTruthy();
    fireEvent.click(within(screen.getByTestId("mapping-export-dialog")).getByText("Close"));

    fireEvent.click(screen.getByTestId("mapping-import"));
    fireEvent.change(await screen.findByTestId("mapping-import-json"), { target: { value: "{ not json" } });
    fireEvent.click(screen.getByTestId("mapping-import-confirm"));
    expect((await screen.findByTestId("mapping-import-error")).textContent).toMatch(/not a mapping as Export JSON writes it/);
    expect(calls.imported).toEqual(["{ not json"]);
    expect(screen.getByTestId("mapping-import-dialog")).toBeTruthy();
  });

  it("puts an imported mapping on the page", async () => {
    const calls = setup();
    await waitFor(() => expect(screen.getAllByTestId("mapping-row")).toHaveLength(3));
    fireEvent.click(screen.getByTestId("mapping-import"));
    const json = JSON.stringify({
      provider: "okta",
      fields: [
        { key: "email", label: "Email", kind: "text", custom: false, path: 'emails[type eq "work"].value' },
        { key: "job_title", label: "Job title", kind: "text", custom: false, path: BIZ },
        { key: "department", label: "Department", kind: "text", custom: false, path: `${ENT}:department` },
        { key: "cost_center", label: "Cost center", kind: "text", custom: true, path: COST },
      ],
    });
    fireEvent.change(await screen.findByTestId("mapping-import-json"), { target: { value: json } });
    fireEvent.click(screen.getByTestId("mapping-import-confirm"));
    await waitFor(() => expect(screen.queryByTestId("mapping-import-dialog")).toBeNull());
    expect(calls.imported).toHaveLength(1);
    await waitFor(() => expect(pathInput("job_title").value).toBe(BIZ));
    expect(pathInput("cost_center").value).toBe(COST);
    expect(save().disabled).toBe(true);
  });
});

describe("a refusal's field", () => {
  it("names a row, and the part of it at fault", () => {
    const draft = [
      { ...DEFAULT[1], text: "title" },
      { key: "cost_center", label: "Cost center", kind: "text" as const, custom: true, path: null, default_path: null, required: false, text: "" },
    ];
    expect(rowOfError("fields.job_title", draft)).toEqual({ key: "job_title", part: "path" });
    expect(rowOfError("fields.cost_center.path", draft)).toEqual({ key: "cost_center", part: "path" });
    expect(rowOfError("fields.cost_center", draft)).toEqual({ key: "cost_center", part: "label" });
    expect(rowOfError("fields.cost_center.label", draft)).toEqual({ key: "cost_center", part: "label" });
    expect(rowOfError("json", draft)).toBeNull();
  });
});

describe("a custom field's key", () => {
  it("comes from its label", () => {
    expect(keyFromLabel("Cost center")).toBe("cost_center");
    expect(keyFromLabel("  Start date (HR) ")).toBe("start_date_hr");
    expect(keyFromLabel("Coût éligible")).toBe("cout_eligible");
  });
});
