// One time bound for the plugin layer's waits (kill, broker close, shutdown hooks).

/**
 * `promise`'s value, or undefined after `ms`. The timer is ref'd and cleared when either settles:
 * kill() and shutdown must finish even when nothing else keeps the event loop alive (a reattached
 * plugin's exit is only seen by an unref'd poll; `await plugin.kill()` at the end of a script would
 * otherwise never return).
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
