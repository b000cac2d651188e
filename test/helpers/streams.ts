// Small stream helpers shared by the gRPC and interop tests.

/** Every value of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of iterable) out.push(v);
  return out;
}

/** Requests handed out one per `release()` (the first at once); the iterator ends when `signal` aborts. */
export function pacedRequests<T>(items: T[], signal?: AbortSignal) {
  let wake: (() => void) | undefined;
  let credits = 1;
  return {
    release() {
      credits++;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (const item of items) {
        while (credits === 0) {
          if (signal?.aborted) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
            signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        credits--;
        yield item;
      }
    },
  };
}
