// Vendor SDK clients are built on first use, so a worker without one provider's
// key still serves lanes on the others; a missing key fails the turn as provider_auth.
import { laneFailure } from '../failures.js';
import type { ProviderName } from './types.js';

export interface LazyClientOptions<C> {
  provider: ProviderName;
  apiKey: string | undefined;
  /** The variable the key comes from, named in the error. */
  keyVar: string;
  hint: string;
  make: (apiKey: string) => C;
}

export function lazyClient<C>(o: LazyClientOptions<C>): () => C {
  let client: C | undefined;
  return () => {
    if (!o.apiKey) throw laneFailure('provider_auth', `${o.provider}: ${o.keyVar} is not set in the worker environment`, { provider: o.provider, hint: o.hint });
    client ??= o.make(o.apiKey);
    return client;
  };
}
