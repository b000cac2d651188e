// A single-consumer async queue of messages with a high-water mark, so a producer (the network) can be
// paused while the consumer (a handler or a caller's `for await`) is behind (docs/node-http2.md#backpressure).

export interface MessageQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  /** No more values; the iterator finishes after what is queued. */
  end(): void;
  /** The iterator throws `err` after what is queued (or at once with `discard`). */
  fail(err: unknown, discard?: boolean): void;
  readonly length: number;
  readonly ended: boolean;
}

export interface QueueHooks {
  /** Called when the queue grows past `highWater`: pause the producer. */
  onFull?(): void;
  /** Called when the consumer has drained the queue below `highWater` again. */
  onDrain?(): void;
  /** Called when the consumer stops early (break, return, throw in its loop). */
  onCancel?(): void;
  highWater?: number;
}

export function createQueue<T>(hooks: QueueHooks = {}): MessageQueue<T> {
  const highWater = hooks.highWater ?? 16;
  const items: T[] = [];
  let head = 0;
  let done = false;
  let error: { err: unknown } | undefined;
  let full = false;
  let waiter: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  let iterating = false;

  const size = () => items.length - head;

  function take(): T {
    const v = items[head]!;
    items[head++] = undefined as T;
    if (head > 1024 && head * 2 > items.length) {
      items.splice(0, head);
      head = 0;
    }
    if (full && size() < highWater) {
      full = false;
      hooks.onDrain?.();
    }
    return v;
  }

  function settle(): void {
    if (!waiter) return;
    const w = waiter;
    if (size() > 0) {
      waiter = undefined;
      w.resolve({ value: take(), done: false });
    } else if (error) {
      waiter = undefined;
      w.reject(error.err);
    } else if (done) {
      waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  const iterator: AsyncIterator<T> = {
    next() {
      if (size() > 0) return Promise.resolve({ value: take(), done: false });
      if (error) return Promise.reject(error.err);
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return() {
      if (!done && !error) {
        done = true;
        items.length = 0;
        head = 0;
        hooks.onCancel?.();
      }
      return Promise.resolve({ value: undefined, done: true });
    },
  };

  return {
    push(value) {
      if (done || error) return;
      items.push(value);
      if (!full && size() >= highWater) {
        full = true;
        hooks.onFull?.();
      }
      settle();
    },
    end() {
      if (done || error) return;
      done = true;
      settle();
    },
    fail(err, discard = false) {
      if (error || done) return;
      error = { err };
      if (discard) {
        items.length = 0;
        head = 0;
      }
      settle();
    },
    get length() {
      return size();
    },
    get ended() {
      return done || error !== undefined;
    },
    [Symbol.asyncIterator]() {
      if (iterating) throw new TypeError('this message stream can be iterated only once');
      iterating = true;
      return iterator;
    },
  };
}
