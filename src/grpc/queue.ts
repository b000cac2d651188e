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
  return new Queue<T>(hooks);
}

/** The consumer's pending next(), while the queue is empty. */
interface Waiter<T> {
  resolve(r: IteratorResult<T>): void;
  reject(e: unknown): void;
}

/** The queue is its own (single) iterator: one object per stream, no closures. */
class Queue<T> implements MessageQueue<T>, AsyncIterator<T> {
  readonly #hooks: QueueHooks;
  readonly #highWater: number;
  readonly #items: T[] = [];
  /** Index of the oldest value in #items: taking one does not shift the array. */
  #head = 0;
  #done = false;
  #error: { err: unknown } | undefined;
  #full = false;
  #waiter: Waiter<T> | undefined;
  #iterating = false;

  constructor(hooks: QueueHooks) {
    this.#hooks = hooks;
    this.#highWater = hooks.highWater ?? 16;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get ended(): boolean {
    return this.#done || this.#error !== undefined;
  }

  // --- producer

  push(value: T): void {
    if (this.#done || this.#error) return;
    this.#items.push(value);
    if (!this.#full && this.length >= this.#highWater) {
      this.#full = true;
      this.#hooks.onFull?.();
    }
    this.#settle();
  }

  end(): void {
    if (this.#done || this.#error) return;
    this.#done = true;
    this.#settle();
  }

  fail(err: unknown, discard = false): void {
    if (this.#error || this.#done) return;
    this.#error = { err };
    if (discard) this.#clear();
    this.#settle();
  }

  // --- consumer

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new TypeError('this message stream can be iterated only once');
    this.#iterating = true;
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) return Promise.resolve({ value: this.#take(), done: false });
    if (this.#error) return Promise.reject(this.#error.err);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#done && !this.#error) {
      this.#done = true;
      this.#clear();
      this.#hooks.onCancel?.();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  // --- internals

  #take(): T {
    const items = this.#items;
    const v = items[this.#head]!;
    items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#full && this.length < this.#highWater) {
      this.#full = false;
      this.#hooks.onDrain?.();
    }
    return v;
  }

  /** Hands the waiting consumer what it can have now: a value, the error, or the end. */
  #settle(): void {
    const w = this.#waiter;
    if (!w) return;
    if (this.length > 0) {
      this.#waiter = undefined;
      w.resolve({ value: this.#take(), done: false });
    } else if (this.#error) {
      this.#waiter = undefined;
      w.reject(this.#error.err);
    } else if (this.#done) {
      this.#waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  #clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }
}
