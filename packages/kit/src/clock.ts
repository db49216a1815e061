/**
 * Time, injectable. The daemon uses the system clock; tests use `FakeClock` (in `@f2b/core/testing`)
 * to move through findtime and bantime without waiting.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/* eslint-disable no-restricted-properties, no-restricted-globals -- this is the system clock that every other use goes through */

/** Node's timers cap at 2^31-1 ms (~24.8 days); longer delays are chained. */
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + ms;
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX_DELAY ? arm : fn, Math.max(0, Math.min(left, MAX_DELAY)));
      handle.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};
