// Content identity of a packet, so resubmitting an id with different content is refused
// instead of silently attaching to a lane that works on something else.
import { createHash } from 'node:crypto';
import type { TaskPacket } from './schema.js';

/** sha256 hex of the packet's canonical JSON without `id`; defaults applied, key order irrelevant. */
export function packetFingerprint(packet: TaskPacket): string {
  const { id: _id, ...content } = packet;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** JSON with object keys sorted at every depth; undefined members are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}
