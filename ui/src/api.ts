// The one door from the UI to Rust. The commands — names, arguments, results — and the change
// event are the IPC contract, declared once in Rust and generated into ./commands.ts; this file
// only sends them. Screens read through the query cache (lib/queries.ts), which calls `call`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import { CHANGE_EVENT, type ChangePayload, type CommandName, type Commands } from "./commands";
import type { AppError } from "./types";

export type * from "./types";
export type { CommandName, Commands };

export type ArgsOf<C extends CommandName> = Commands[C]["args"];
export type ResultOf<C extends CommandName> = Commands[C]["result"];
/** What follows a command's name in `call`: its arguments, or nothing when it takes none. */
export type CallArgs<C extends CommandName> = keyof ArgsOf<C> extends never ? [] : [args: ArgsOf<C>];

/** Calls an IPC command. It rejects with an `AppError` (`{ message, field }`). */
export function call<C extends CommandName>(command: C, ...args: CallArgs<C>): Promise<ResultOf<C>> {
  return invoke<ResultOf<C>>(command, args[0]);
}

/** Commands reject with an AppError: `{ message, field }` (`field` names the input at fault). */
export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "message" in e;
}

/** Copies text to the system clipboard (through the clipboard plugin, which may only write). */
export function copyText(text: string): Promise<void> {
  return invoke<void>("plugin:clipboard-manager|write_text", { text });
}

/** Core change events (Okta provisioning, connections, tunnel, endpoint). */
export function onChange(handler: (e: ChangePayload) => void): Promise<UnlistenFn> {
  return listen<ChangePayload>(CHANGE_EVENT, (event) => handler(event.payload));
}
