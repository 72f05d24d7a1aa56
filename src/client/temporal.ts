// The CLI's Temporal connection: one place that turns "cannot connect" into a clear error.
import { Client, Connection } from '@temporalio/client';
import type { LanesConfig } from '../config.js';
import { LanesError } from '../errors.js';

export async function withClient<T>(config: LanesConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: 5_000 });
  } catch (e) {
    throw new LanesError('unavailable', `cannot reach Temporal at ${config.address}: ${(e as Error).message.split('\n')[0]}`,
      'Start the embedded default with `lanes up` (or `lanes server` + `lanes worker`), or set TEMPORAL_ADDRESS / --address.', 'infra');
  }
  try {
    return await fn(new Client({ connection, namespace: config.namespace }));
  } finally {
    await connection.close();
  }
}
