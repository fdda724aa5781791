// Okta importing 1,000 users sends thousands of change events; pages re-fetch once per burst.

export type Batcher<T> = {
  push(item: T): void;
  /** Delivers what is pending now (used on unmount, and by tests). */
  flush(): void;
  cancel(): void;
};

/**
 * Collects items and delivers them together once `ms` has passed without a new one, and at the
 * latest `maxWaitMs` after the first (so a steady stream still refreshes the page now and then).
 */
export function batcher<T>(deliver: (items: T[]) => void, ms = 150, maxWaitMs = 1000): Batcher<T> {
  let pending: T[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let firstAt = 0;

  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    deliver(items);
  };

  return {
    push(item: T) {
      if (pending.length === 0) firstAt = Date.now();
      pending.push(item);
      if (timer !== null) clearTimeout(timer);
      const waited = Date.now() - firstAt;
      timer = setTimeout(flush, Math.max(0, Math.min(ms, maxWaitMs - waited)));
    },
    flush,
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = [];
    },
  };
}

/** Calls `fn` with the last arguments once `ms` has passed without another call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const debounced = (...args: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return debounced;
}
