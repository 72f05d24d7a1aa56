// The packet travels as the lane workflow's input, and Temporal refuses any payload over
// its blob size limit (2 MB by default) with a bare "Failed to start Workflow". The packet
// is checked here first, against half that limit: the same input is carried again by
// every continue-as-new, beside the lane's events.
import { LanesError } from '../errors.js';

/** Temporal's default blob size limit (server dynamic config `limit.blobSize.error`). */
export const TEMPORAL_BLOB_LIMIT_BYTES = 2 * 1024 * 1024;
/** The most a packet may weigh: half the blob limit, the rest is headroom. */
export const PACKET_LIMIT_BYTES = TEMPORAL_BLOB_LIMIT_BYTES / 2;

function sizeOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** The path of the heaviest leaf, following the heaviest child at every level. */
export function heaviestField(value: unknown): { path: string; bytes: number } {
  let path = '';
  let cur = value;
  for (;;) {
    if (cur === null || typeof cur !== 'object') break;
    const entries = Array.isArray(cur) ? cur.map((v, i) => [i, v] as const) : Object.entries(cur);
    if (entries.length === 0) break;
    const [key, child] = entries.map(([k, v]) => [k, v, sizeOf(v)] as const).reduce((a, b) => (b[2] > a[2] ? b : a));
    path += typeof key === 'number' ? `[${key}]` : path ? `.${key}` : key;
    cur = child;
  }
  return { path: path || '(root)', bytes: sizeOf(cur) };
}

/** Refuses a packet too big to start a lane with, naming the limit and the biggest field. */
export function assertPayloadSize(packet: unknown, source = 'packet'): number {
  const bytes = sizeOf(packet);
  if (bytes <= PACKET_LIMIT_BYTES) return bytes;
  const big = heaviestField(packet);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  throw new LanesError(
    'validation',
    `${source}: the packet is ${kb(bytes)} as JSON, over the ${kb(PACKET_LIMIT_BYTES)} limit (half of Temporal's ${kb(TEMPORAL_BLOB_LIMIT_BYTES)} payload limit); its biggest field is ${big.path} (${kb(big.bytes)})`,
    `Shrink ${big.path}: put large text in a file in the repository and refer to it from the objective, instead of inlining it in the packet.`,
  );
}
