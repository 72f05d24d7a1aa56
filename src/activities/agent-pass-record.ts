// The record of one external agent pass on disk: agent/pass-<n>.json (session id before the
// first turn, the summary once the pass completes), its raw stream (.jsonl) and the turns each
// run printed (.turns.jsonl). The pass activity writes them; retries, drills and chaos read them.
import { z } from 'zod';
import { AgentKindSchema, type AgentSettings } from '../packet/schema.js';
import type { AgentTurn } from '../agents/stream.js';
import type { ArtifactStore } from './artifacts.js';

export interface AgentPassSummary {
  pass: number;
  kind: AgentSettings['kind'];
  sessionId: string | null;
  /** How many times the agent process was started for this pass (2+ = resumed). */
  runs: number;
  resumed: boolean;
  /** True when this summary came from the pass record (a retry), not from a run. */
  replayed: boolean;
  turns: AgentTurn[];
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  /** The agent's result kind (`success`, `error_max_turns`, `turn.completed`). */
  subtype: string;
  text: string;
  durationMs: number;
}

const AgentTurnSchema: z.ZodType<AgentTurn> = z.object({
  index: z.number(),
  text: z.string(),
  toolUses: z.array(z.object({ name: z.string(), summary: z.string() })),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  id: z.string().optional(),
  recovered: z.literal(true).optional(),
});

const AgentPassSummarySchema: z.ZodType<AgentPassSummary> = z.object({
  pass: z.number(),
  kind: AgentKindSchema,
  sessionId: z.string().nullable(),
  runs: z.number(),
  resumed: z.boolean(),
  replayed: z.boolean(),
  turns: z.array(AgentTurnSchema),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  costUsd: z.number(),
  subtype: z.string(),
  text: z.string(),
  durationMs: z.number(),
});

/** agent/pass-<n>.json: the session id before the first turn, the summary once the pass completes. */
export const PassRecordSchema = z.object({
  pass: z.number(),
  kind: AgentKindSchema,
  status: z.enum(['running', 'completed']),
  sessionId: z.string().optional(),
  runs: z.number(),
  summary: AgentPassSummarySchema.optional(),
});
export type PassRecord = z.infer<typeof PassRecordSchema>;

export const passFile = (pass: number) => `agent/pass-${String(pass).padStart(4, '0')}.json`;
export const streamFile = (pass: number) => `agent/pass-${String(pass).padStart(4, '0')}.jsonl`;
export const turnsFile = (pass: number) => `agent/pass-${String(pass).padStart(4, '0')}.turns.jsonl`;


/** A turn as saved, with the run (process start) of the pass that printed it. */
export type RunTurn = AgentTurn & { run: number };


export function readTurns(store: ArtifactStore, laneId: string, pass: number): RunTurn[] {
  const text = store.readText(laneId, turnsFile(pass)) ?? '';
  const out: RunTurn[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RunTurn);
    } catch {
      // a line torn by the crash that cut its run short
    }
  }
  return out;
}

export function sumUsage(turns: readonly AgentTurn[]): { inputTokens: number; outputTokens: number } {
  return { inputTokens: turns.reduce((n, t) => n + t.usage.inputTokens, 0), outputTokens: turns.reduce((n, t) => n + t.usage.outputTokens, 0) };
}

/** What a chaos run checks of one external agent pass: its record and how many final results its runs printed. */
export interface AgentPassFacts {
  pass: number;
  status: PassRecord['status'] | 'missing';
  runs: number;
  /** Successful final results in the pass's stream, across its runs (a `result` that is no error, a codex `turn.completed`). */
  finals: number;
}

/** The facts of every external agent pass a lane ran (none for builtin lanes). */
export function agentPassFacts(store: ArtifactStore, laneId: string): AgentPassFacts[] {
  const out: AgentPassFacts[] = [];
  for (let pass = 1; ; pass++) {
    const record = store.readJson(laneId, passFile(pass), PassRecordSchema);
    const stream = store.readText(laneId, streamFile(pass));
    if (!record && stream === undefined) break;
    let finals = 0;
    for (const line of (stream ?? '').split('\n')) {
      try {
        const msg = JSON.parse(line) as { type?: unknown; is_error?: unknown };
        if ((msg.type === 'result' && msg.is_error !== true) || msg.type === 'turn.completed') finals += 1;
      } catch {
        // not a JSON line: never a final result
      }
    }
    out.push({ pass, status: record?.status ?? 'missing', runs: record?.runs ?? 0, finals });
  }
  return out;
}
