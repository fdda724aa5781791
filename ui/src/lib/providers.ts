// The identity providers a connection can belong to, in the app's words: what each calls the
// connection's base URL and token, where its page is, and how its rehearsal's steps read. The
// core says only `okta` or `entra`; the names the admin reads are chosen here.
import type { Overview, Provider, Step } from "../api";

export const PROVIDERS: readonly Provider[] = ["okta", "entra"];

type Words = {
  /** As the admin knows it: "Okta", "Microsoft Entra ID". */
  name: string;
  /** In running text where the full name would be heavy: "Okta", "Entra". */
  short: string;
  /** Its page under Settings › Integrations. */
  href: string;
  /** What the provider's own console calls the connection's base URL and token. */
  baseUrlLabel: string;
  tokenLabel: string;
  /** In running text: "base URL", "Tenant URL"; "token", "Secret Token". */
  baseUrlInText: string;
  tokenInText: string;
  /** The card's one-line description on the Integrations page. */
  description: string;
  /** Under the page title. */
  lede: string;
  /** In the Add Connection dialog: an example name. */
  exampleName: string;
  /** What the connection links, in the Add Connection dialog: "this Okta org". */
  linkedThing: string;
  /** After a connection is added: what to do with it. */
  copyHint: string;
};

export const PROVIDER_WORDS: { readonly [P in Provider]: Words } = {
  okta: {
    name: "Okta",
    short: "Okta",
    href: "#/settings/integrations/okta",
    baseUrlLabel: "Base URL",
    tokenLabel: "Token",
    baseUrlInText: "base URL",
    tokenInText: "token",
    description: "Okta pushes new hires, profile changes and deactivations to SCIM Desk over SCIM 2.0.",
    lede: "Okta provisions employees into SCIM Desk through a connection's base URL and token.",
    exampleName: "Okta production",
    linkedThing: "this Okta org",
    copyHint: "Copy the base URL and token into Okta.",
  },
  entra: {
    name: "Microsoft Entra ID",
    short: "Entra",
    href: "#/settings/integrations/entra",
    baseUrlLabel: "Tenant URL",
    tokenLabel: "Secret Token",
    baseUrlInText: "Tenant URL",
    tokenInText: "Secret Token",
    description: "Microsoft Entra ID provisions the users assigned to an enterprise application into SCIM Desk over SCIM 2.0.",
    lede: "Microsoft Entra ID provisions employees into SCIM Desk through a connection's Tenant URL and Secret Token.",
    exampleName: "HR Entra",
    linkedThing: "this enterprise application in Microsoft Entra ID",
    copyHint: "Copy the Tenant URL and Secret Token into the Entra application's provisioning settings.",
  },
};

export function providerName(p: Provider): string {
  return PROVIDER_WORDS[p].name;
}

/** Whether the provider's switch is on, from the overview. */
export function providerEnabled(o: Overview, p: Provider): boolean {
  return p === "okta" ? o.okta_enabled : o.entra_enabled;
}

/** How many connections the provider has, from the overview. */
export function providerConnections(o: Overview, p: Provider): number {
  return p === "okta" ? o.okta_connections : o.entra_connections;
}

/** Who keeps the directory up to date, from the connections there are: "Okta", "Microsoft
 *  Entra ID", or both. With no connection yet, Okta (the app's first provider) is named. */
export function keptByText(o: Pick<Overview, "okta_connections" | "entra_connections">): string {
  if (o.entra_connections > 0 && o.okta_connections > 0) return "Okta and Microsoft Entra ID";
  return o.entra_connections > 0 ? "Microsoft Entra ID" : "Okta";
}

/** Who made a change, for a line of activity or an employee's record: "Microsoft Entra ID ·
 *  HR Entra". Either part may be unknown (a row from before providers were recorded, or one
 *  with no connection). */
export function madeByText(provider: Provider | null, connectionName: string | null): string | null {
  const parts = [provider ? providerName(provider) : null, connectionName].filter((x): x is string => !!x);
  return parts.length ? parts.join(" · ") : null;
}

/** The rehearsal's steps, by the short name the core gives each: what the step checks, in the
 *  provider's words. An unknown step shows its short name. */
const STEP_NAMES: { readonly [P in Provider]: Readonly<Record<string, string>> } = {
  okta: {
    reach: "The base URL answers",
    list: "Okta's list of users, with the token",
    lookup: "Okta's lookup of a user by userName",
    unknown_id: "A user that does not exist is not found",
    bad_token: "A wrong token is refused",
  },
  entra: {
    reach: "The Tenant URL answers",
    lookup: "Test Connection: a user who does not exist, looked up by userName",
    external_id_lookup: "Matching by externalId: a user who does not exist",
    bad_token: "A wrong Secret Token is refused",
  },
};

export function stepName(provider: Provider, step: Step["step"]): string {
  return STEP_NAMES[provider][step] ?? step;
}
