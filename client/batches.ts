/** Reads an async sequence in batches of `size` (the last may be shorter), awaiting `send` for each before reading on. */
export async function forEachBatch<T>(items: AsyncIterable<T>, size: number, send: (batch: T[]) => Promise<void>): Promise<void> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      await send(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await send(batch);
}
