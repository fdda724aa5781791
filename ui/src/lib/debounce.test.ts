import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { batcher, debounce } from "./debounce";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("batcher", () => {
  it("delivers a burst of events once, after the quiet period", () => {
    const deliver = vi.fn();
    const b = batcher<number>(deliver, 150);
    for (let i = 0; i < 1000; i++) b.push(i);
    expect(deliver).not.toHaveBeenCalled();
    vi.advanceTimersByTime(149);
    expect(deliver).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(deliver).toHaveBeenCalledTimes(1);
    expect(deliver.mock.calls[0][0]).toHaveLength(1000);
  });

  it("still delivers during a steady stream, at most every maxWait", () => {
    const deliver = vi.fn();
    const b = batcher<number>(deliver, 150, 1000);
    for (let t = 0; t < 2500; t += 100) {
      b.push(t);
      vi.advanceTimersByTime(100);
    }
    expect(deliver.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(deliver.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it("starts a new batch after delivering", () => {
    const deliver = vi.fn();
    const b = batcher<string>(deliver, 150);
    b.push("a");
    vi.advanceTimersByTime(200);
    b.push("b");
    vi.advanceTimersByTime(200);
    expect(deliver.mock.calls).toEqual([[["a"]], [["b"]]]);
  });

  it("drops pending events when cancelled", () => {
    const deliver = vi.fn();
    const b = batcher<string>(deliver, 150);
    b.push("a");
    b.cancel();
    vi.advanceTimersByTime(1000);
    expect(deliver).not.toHaveBeenCalled();
  });
});

describe("debounce", () => {
  it("calls once with the last arguments", () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d("j");
    d("ja");
    d("jan");
    vi.advanceTimersByTime(250);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("jan");
  });
});
