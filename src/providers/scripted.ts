// The scripted provider: offline, deterministic model turns for demos and tests.
// Every reply says `scripted: true` so no output can pass for a real model's.
import { laneFailure } from '../failures.js';
import { estimateContentTokens, estimateRequestTokens } from './token-estimate.js';
import type { ChatMessage, CompleteOptions, ContentBlock, ModelProvider, ModelReply, ModelRequest, StopReason } from './types.js';

export interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown>;
}

export interface ScriptedTurn {
  text?: string;
  toolCalls?: ScriptedToolCall[];
}

/** The final reply once a script has no turns left. */
export const SCRIPT_FINISHED_TEXT = 'script finished';

/**
 * Which turn a request asks for: the number of assistant messages already in it.
 * Derived from the request, not a counter, so a retried request gets the same reply.
 */
export function assistantTurnIndex(messages: readonly Pick<ChatMessage, 'role'>[]): number {
  return messages.filter((m) => m.role === 'assistant').length;
}

/**
 * The reply content for turn `turn` of a script. Tool-use ids are
 * `<idPrefix>-<turn>-<i>`, stable across retries.
 */
export function scriptedTurnReply(
  script: readonly ScriptedTurn[],
  turn: number,
  idPrefix = 'scripted',
): { content: ContentBlock[]; stopReason: StopReason } {
  const step = script[turn];
  if (!step) return { content: [{ type: 'text', text: SCRIPT_FINISHED_TEXT }], stopReason: 'end_turn' };
  const content: ContentBlock[] = [];
  if (step.text !== undefined) content.push({ type: 'text', text: step.text });
  (step.toolCalls ?? []).forEach((call, i) => {
    content.push({ type: 'tool_use', id: `${idPrefix}-${turn}-${i}`, name: call.name, input: structuredClone(call.input) });
  });
  const calls = step.toolCalls?.length ?? 0;
  return { content, stopReason: calls > 0 ? 'tool_use' : 'end_turn' };
}

export function createScriptedProvider(script: readonly ScriptedTurn[]): ModelProvider {
  // A private copy: a caller mutating its array later cannot change replies already promised.
  const turns: ScriptedTurn[] = structuredClone([...script]);
  return {
    name: 'scripted',
    scripted: true,
    async complete(req: ModelRequest, opts: CompleteOptions = {}): Promise<ModelReply> {
      if (opts.signal?.aborted) {
        throw laneFailure('cancelled', 'scripted request cancelled before the model replied', {
          provider: 'scripted',
          hint: 'The turn was cancelled by the lane (cancel or shutdown).',
        });
      }
      const turn = assistantTurnIndex(req.messages);
      const { content, stopReason } = scriptedTurnReply(turns, turn);
      return {
        provider: 'scripted',
        model: req.model,
        content,
        stopReason,
        usage: { inputTokens: estimateRequestTokens(req), outputTokens: estimateContentTokens(content) },
        requestId: `scripted-${turn}`,
        scripted: true,
      };
    },
  };
}
