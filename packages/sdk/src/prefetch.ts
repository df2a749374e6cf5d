export type Prefetched<I, O> =
  | { index: number; input: I; ok: true; value: O }
  | { index: number; input: I; ok: false; error: Error };

/**
 * Maps `inputs` through the async `work`, keeping up to `depth` calls in flight ahead of the consumer;
 * yields in input order. A failed item is yielded as `ok: false` and does not stop the sequence.
 */
export async function* prefetch<I, O>(
  inputs: Iterable<I> | AsyncIterable<I>,
  depth: number,
  work: (input: I, index: number) => Promise<O>,
): AsyncGenerator<Prefetched<I, O>> {
  const queue: Promise<Prefetched<I, O>>[] = [];
  let index = 0;
  const start = (input: I) => {
    const i = index++;
    queue.push(
      work(input, i).then(
        (value): Prefetched<I, O> => ({ index: i, input, ok: true, value }),
        (error: unknown): Prefetched<I, O> => ({
          index: i,
          input,
          ok: false,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
      ),
    );
  };
  for await (const input of inputs) {
    start(input);
    if (queue.length > depth) yield await (queue.shift() as Promise<Prefetched<I, O>>);
  }
  while (queue.length) yield await (queue.shift() as Promise<Prefetched<I, O>>);
}
