// One subscription to the backend's change events for the whole app, delivered to pages in
// batches (150 ms of quiet, at most one second apart) so a bulk import doesn't hammer the IPC.
import { useEffect, useRef } from "react";
import { onChange, type ChangeEvent } from "../api";
import { batcher } from "./debounce";

type Listener = (events: ChangeEvent[]) => void;

const listeners = new Set<Listener>();
let started = false;

function start() {
  if (started) return;
  started = true;
  const b = batcher<ChangeEvent>((events) => {
    for (const l of [...listeners]) l(events);
  }, 150);
  onChange((e) => b.push(e)).catch(() => {
    // No event channel (e.g. a plain browser without the mock): pages still load, just not live.
    started = false;
  });
}

export function subscribe(l: Listener): () => void {
  start();
  listeners.add(l);
  return () => listeners.delete(l);
}

export type ChangeKind = ChangeEvent["kind"];

/** True when one of the events is of a kind the caller shows. */
export function touches(events: ChangeEvent[], kinds: readonly ChangeKind[]): boolean {
  return events.some((e) => kinds.includes(e.kind));
}

/** Runs `fn` after each batch of changes of the given kinds. */
export function useChanges(kinds: readonly ChangeKind[], fn: (events: ChangeEvent[]) => void) {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const key = kinds.join(",");
  useEffect(() => {
    const ks = key.split(",") as ChangeKind[];
    return subscribe((events) => {
      if (touches(events, ks)) fnRef.current(events);
    });
  }, [key]);
}
