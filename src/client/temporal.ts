// The CLI's Temporal connection: one place that turns "cannot connect" into a clear error.
import type { Client as ClientType, Connection as ConnectionType } from '@temporalio/client';
import { temporalClient } from './temporal-sdk.js';

const { Client, Connection } = temporalClient;
import type { LanesConfig } from '../config.js';
import { sdkConnectionOptions } from '../connection/options.js';
import { describeConnection } from '../connection/settings.js';
import { LanesError } from '../errors.js';

/** A client connection with the configured TLS / API key; the caller closes it. */
export async function connectClient(config: LanesConfig, connectTimeout = 5_000): Promise<ConnectionType> {
  const options = sdkConnectionOptions(config.address, config.connection);
  try {
    return await Connection.connect({ ...options, connectTimeout });
  } catch (e) {
    const mode = describeConnection(config.connection).mode;
    throw new LanesError('unavailable', `cannot reach Temporal at ${config.address} (${mode}): ${(e as Error).message.split('\n')[0]}`,
      mode === 'plaintext'
        ? 'Start the embedded default with `lanes up` (or `lanes server` + `lanes worker`), or set TEMPORAL_ADDRESS / --address; a secured server needs --tls-* options (see `lanes doctor`).'
        : 'Check the server address and the TLS settings with `lanes doctor` (it runs the handshake on its own); see docs/production.md.',
      'infra');
  }
}

export async function withClient<T>(config: LanesConfig, fn: (client: ClientType) => Promise<T>): Promise<T> {
  const connection = await connectClient(config);
  try {
    return await fn(new Client({ connection, namespace: config.namespace }));
  } finally {
    await connection.close();
  }
}
