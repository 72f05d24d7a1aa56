// The packet contract as JSON Schema, for editors and for automations written in other
// languages. Generated from TaskPacketSchema so it cannot disagree with the validator.
import { z } from 'zod';
import { RunPlanSchema } from './plan-schema.js';
import { TaskPacketSchema } from './schema.js';

export const PACKET_JSON_SCHEMA_ID = 'https://lanes.dev/schemas/task-packet.json';

/**
 * JSON Schema (draft 2020-12) of what a packet author may write: the input side, so fields
 * with defaults are optional. Cross-field rules (exactly one of repo.path/repo.url, a script
 * only for the scripted provider, commands for the required green level) are enforced by
 * parsePacket only.
 */
export function packetJsonSchema(): Record<string, unknown> {
  // Transforms (command normalization, merge target) have no JSON Schema form; on the input
  // side they are skipped anyway, and 'any' keeps generation from throwing if one slips in.
  const generated = z.toJSONSchema(TaskPacketSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: PACKET_JSON_SCHEMA_ID,
    title: 'Lanes task packet',
    description: 'One unit of coding work for Lanes: objective, repository, acceptance commands, agent and policies.',
    ...rest,
  };
}

export const PLAN_JSON_SCHEMA_ID = 'https://lanes.dev/schemas/run-plan.json';

/**
 * JSON Schema of a run plan (input side). Inline task packets are objects here; each is
 * validated as a task packet (task-packet.schema.json) after the plan defaults are applied,
 * and the dependency graph (unknown ids, cycles) is checked by loadPlanFile only.
 */
export function planJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(RunPlanSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: PLAN_JSON_SCHEMA_ID,
    title: 'Lanes run plan',
    description: 'Many task packets against one repository: dependencies, read/write locks, a doctor gating the integration branch, a run budget.',
    ...rest,
  };
}
