/**
 * One transaction on a connection of the pool. A connection that PostgreSQL cuts while it is
 * checked out (a restart between two statements) emits 'error' on the client, which would crash
 * the process without a listener: it is caught here, the transaction fails (and is retried by
 * the caller's activity), and the broken connection is destroyed instead of going back to the pool.
 */
import type { Pool, PoolClient } from 'pg';

export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken ??= err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    // release(err) closes the connection: after a failure its state is unknown.
    client.release(broken);
  }
}
