// Bounded concurrency helpers for the inspect command.

/** Maps `items` with at most `limit` calls of `fn` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * Runs `fn` over `items` with at most `limit` calls (and about `byteBudget` bytes, by the
 * `weight` of each item) in flight, and hands each result to `emit` strictly in input order as
 * soon as it and everything before it are done. `fn` must not reject.
 */
export async function forEachOrdered<T, R>(
  items: readonly T[],
  options: { limit: number; byteBudget: number; weight: (item: T) => number },
  fn: (item: T, index: number) => Promise<R>,
  emit: (result: R, index: number) => void,
): Promise<void> {
  const window: { promise: Promise<R>; weight: number }[] = [];
  let head = 0;
  let bytes = 0;
  const drainOne = async (): Promise<void> => {
    const first = window.shift()!;
    const result = await first.promise;
    bytes -= first.weight;
    emit(result, head++);
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const weight = options.weight(item);
    while (window.length > 0 && (window.length >= options.limit || bytes + weight > options.byteBudget)) await drainOne();
    bytes += weight;
    window.push({ promise: fn(item, i), weight });
  }
  while (window.length > 0) await drainOne();
}
