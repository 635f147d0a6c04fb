// An async iterator that keeps reading its source ahead of the consumer, up to `max`
// items, so that the producer (parsing and checking records) goes on working while the
// consumer waits on something else (the database finishing one COPY statement before the
// next one starts). close() stops the producer and finalizes the source.

export interface ReadAhead<T> {
  next(): Promise<IteratorResult<T, undefined>>;
  close(): Promise<void>;
}

export function readAhead<T>(source: AsyncIterable<T>, max: number): ReadAhead<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let ended = false;
  let failed = false;
  let error: unknown;
  let stopped = false;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const consumerWake = () => {
    const w = wakeConsumer;
    wakeConsumer = null;
    w?.();
  };
  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length >= max) {
          await new Promise<void>((r) => (wakeProducer = r));
          continue;
        }
        const r = await it.next();
        if (r.done) {
          ended = true;
          return;
        }
        queue.push(r.value);
        consumerWake();
      }
    } catch (err) {
      failed = true;
      error = err;
    } finally {
      ended = true;
      consumerWake();
    }
  })();
  return {
    async next() {
      for (;;) {
        if (queue.length) {
          const value = queue.shift()!;
          const w = wakeProducer;
          wakeProducer = null;
          w?.();
          return { done: false, value };
        }
        if (failed) throw error;
        if (ended) return { done: true, value: undefined };
        await new Promise<void>((r) => (wakeConsumer = r));
      }
    },
    async close() {
      stopped = true;
      const w = wakeProducer;
      wakeProducer = null;
      w?.();
      await pump;
      queue.length = 0;
      if (!failed) await it.return?.();
    },
  };
}
