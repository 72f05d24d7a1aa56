// What the mock model answers, independent of vendor wire format. A request
// picks its scenario with a `[[mock:<name>]]` marker in the system prompt or a
// user message; the turn is the number of assistant messages already sent, so a
// retried request is answered exactly like the first attempt.
import { type ScriptedTurn, scriptedTurnReply } from '../providers/scripted.js';
import { estimateContentTokens, estimateRequestTokens } from '../providers/token-estimate.js';
import type { ChatMessage, ContentBlock, StopReason, ToolSpec, Usage } from '../providers/types.js';

export const BUILTIN_SCENARIOS = [
  'text',
  'tool_use',
  'multi_tool_use',
  'tool_error',
  'usage',
  'rate_limit',
  'server_error',
  'timeout',
  'auth',
  'context_window',
  'rate_limit_then_ok',
] as const;
export type BuiltinScenario = (typeof BUILTIN_SCENARIOS)[number];

/** Scenario used when a request carries no marker. */
export const DEFAULT_SCENARIO: BuiltinScenario = 'text';

/** Tool the built-in tool scenarios call. */
export const MOCK_TOOL_NAME = 'echo';

/** Usage reported by the `usage` scenario. */
export const MOCK_FIXED_USAGE: Usage = { inputTokens: 1234, outputTokens: 56 };

/** Seconds in the `retry-after` header of rate-limit scenarios. */
export const MOCK_RETRY_AFTER_SECONDS = 1;

const MARKER = /\[\[mock:([A-Za-z0-9_.-]+)\]\]/;

/** A vendor request reduced to what scenarios look at. */
export interface MockRequest {
  model: string;
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
}

export type MockErrorKind = 'rate_limit' | 'server' | 'auth' | 'context_window' | 'invalid_request' | 'not_found';

export type MockOutcome =
  | { kind: 'reply'; content: ContentBlock[]; stopReason: StopReason; usage: Usage }
  | { kind: 'error'; status: number; error: MockErrorKind; message: string; retryAfterSeconds?: number }
  /** Never answer: the client times out or the server closes the socket. */
  | { kind: 'hang' };

/** The first `[[mock:<name>]]` in the system prompt, then in user messages' text, in order. */
export function findScenarioMarker(system: string, messages: readonly ChatMessage[]): string | undefined {
  const inSystem = MARKER.exec(system);
  if (inSystem) return inSystem[1];
  for (const m of messages) {
    if (m.role !== 'user') continue;
    for (const b of m.content) {
      if (b.type !== 'text') continue;
      const hit = MARKER.exec(b.text);
      if (hit) return hit[1];
    }
  }
  return undefined;
}

export function isBuiltinScenario(name: string): name is BuiltinScenario {
  return (BUILTIN_SCENARIOS as readonly string[]).includes(name);
}

/** Tool results in the latest user message (what the model is being shown this turn). */
function latestToolResults(messages: readonly ChatMessage[]): Extract<ContentBlock, { type: 'tool_result' }>[] {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return (last?.content ?? []).filter((b): b is Extract<ContentBlock, { type: 'tool_result' }> => b.type === 'tool_result');
}

function reply(req: MockRequest, content: ContentBlock[], stopReason: StopReason, usage?: Usage): MockOutcome {
  return {
    kind: 'reply',
    content,
    stopReason,
    usage: usage ?? { inputTokens: estimateRequestTokens(req), outputTokens: estimateContentTokens(content) },
  };
}

function fromScript(req: MockRequest, script: readonly ScriptedTurn[], turn: number, idPrefix: string): MockOutcome {
  const { content, stopReason } = scriptedTurnReply(script, turn, idPrefix);
  return reply(req, content, stopReason);
}

function textReply(req: MockRequest, text: string, usage?: Usage): MockOutcome {
  return reply(req, [{ type: 'text', text }], 'end_turn', usage);
}

export interface ScenarioContext {
  scenario: string;
  turn: number;
  request: MockRequest;
  /** Requests for this scenario answered before this one (since the last reset). */
  priorRequests: number;
  /** Requests for this scenario and this same turn before this one (since the last reset). */
  priorAtTurn?: number;
  /** Tool-use id prefix in the vendor's style (`toolu_mock`, `call_mock`). */
  idPrefix: string;
  scripts: ReadonlyMap<string, readonly ScriptedTurn[]>;
}

/**
 * A programmable script preceded by one fault: `[[mock:ratelimited.<script>]]` answers the
 * first request with 429 (retry-after), `[[mock:flaky.<script>]]` with 500; then the script.
 */
const FAULT_PREFIXES: Record<string, MockOutcome> = {
  ratelimited: { kind: 'error', status: 429, error: 'rate_limit', message: 'Rate limit exceeded (mock): first request.', retryAfterSeconds: MOCK_RETRY_AFTER_SECONDS },
  flaky: { kind: 'error', status: 500, error: 'server', message: 'Internal server error (mock): first request.' },
};

/** Turn at which `[[mock:stallonce.<script>]]` never answers, the first time it is asked. */
export const MOCK_STALL_TURN = 2;

export function decideOutcome(ctx: ScenarioContext): MockOutcome {
  const { scenario, turn, request: req, idPrefix } = ctx;
  const [prefix, rest] = scenario.includes('.') ? [scenario.slice(0, scenario.indexOf('.')), scenario.slice(scenario.indexOf('.') + 1)] : ['', ''];
  // A stall mid-task, once: the agent is killed there and its resumed session goes on.
  const stalling = prefix === 'stallonce' && ctx.scripts.get(rest);
  if (stalling) return turn === MOCK_STALL_TURN && (ctx.priorAtTurn ?? 0) === 0 ? { kind: 'hang' } : fromScript(req, stalling, turn, idPrefix);
  const prefixed = FAULT_PREFIXES[prefix] && ctx.scripts.get(rest);
  if (prefixed) return ctx.priorRequests === 0 ? FAULT_PREFIXES[prefix]! : fromScript(req, prefixed, turn, idPrefix);
  const script = ctx.scripts.get(scenario);
  if (script) return fromScript(req, script, turn, idPrefix);
  if (!isBuiltinScenario(scenario)) {
    const known = [...ctx.scripts.keys(), ...BUILTIN_SCENARIOS].join(', ');
    return { kind: 'error', status: 400, error: 'invalid_request', message: `unknown mock scenario '${scenario}'; known: ${known}` };
  }
  const results = latestToolResults(req.messages);
  switch (scenario) {
    case 'text':
      return textReply(req, `Mock reply for turn ${turn}.`);
    case 'usage':
      return textReply(req, 'Mock reply with fixed usage figures.', MOCK_FIXED_USAGE);
    case 'tool_use':
      if (turn === 0) {
        return fromScript(req, [{ text: 'Calling the echo tool.', toolCalls: [{ name: MOCK_TOOL_NAME, input: { text: 'ping' } }] }], 0, idPrefix);
      }
      return textReply(req, `Tool result received: ${results.map((r) => r.content).join(' | ')}`);
    case 'multi_tool_use':
      if (turn === 0) {
        const calls = [
          { name: MOCK_TOOL_NAME, input: { text: 'one' } },
          { name: MOCK_TOOL_NAME, input: { text: 'two' } },
        ];
        return fromScript(req, [{ toolCalls: calls }], 0, idPrefix);
      }
      return textReply(req, `Received ${results.length} tool results: ${results.map((r) => r.content).join(' | ')}`);
    case 'tool_error':
      if (turn === 0) {
        // `wrong` instead of the required `text`: the tool layer must reject it.
        return fromScript(req, [{ toolCalls: [{ name: MOCK_TOOL_NAME, input: { wrong: 42 } }] }], 0, idPrefix);
      }
      return results.some((r) => r.isError)
        ? textReply(req, `The tool rejected the input: ${results.map((r) => r.content).join(' | ')}`)
        : textReply(req, 'The tool accepted the input.');
    case 'rate_limit':
      return { kind: 'error', status: 429, error: 'rate_limit', message: 'Rate limit exceeded (mock): too many requests.', retryAfterSeconds: MOCK_RETRY_AFTER_SECONDS };
    case 'rate_limit_then_ok':
      if (ctx.priorRequests === 0) {
        return { kind: 'error', status: 429, error: 'rate_limit', message: 'Rate limit exceeded (mock): first request.', retryAfterSeconds: MOCK_RETRY_AFTER_SECONDS };
      }
      return textReply(req, `Mock reply after rate limit, turn ${turn}.`);
    case 'server_error':
      return { kind: 'error', status: 500, error: 'server', message: 'Internal server error (mock).' };
    case 'auth':
      return { kind: 'error', status: 401, error: 'auth', message: 'invalid x-api-key (mock).' };
    case 'context_window':
      return { kind: 'error', status: 400, error: 'context_window', message: 'prompt is too long: 215000 tokens > 200000 maximum' };
    case 'timeout':
      return { kind: 'hang' };
  }
}
