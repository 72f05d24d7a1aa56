// What Lanes keeps from an external agent's JSON-lines stream, whichever agent wrote
// it: the session id, one record per model turn (text, tool uses, usage), the final
// result, and everything that makes an exit code untrustworthy. Agent output is
// untrusted input: every field is read defensively and cut to a bounded size.
import type { FailureClass } from '../failures.js';

export interface AgentToolUse {
  name: string;
  /** A short, one-line view of the input (command, path), at most 200 characters. */
  summary: string;
}

export interface AgentTurn {
  /** 1-based within the pass. */
  index: number;
  /** Assistant text of the turn, cut to 500 characters. */
  text: string;
  toolUses: AgentToolUse[];
  usage: { inputTokens: number; outputTokens: number };
  /** The provider's message id, when the agent names it (Claude Code): how a turn is told apart from a repeat. */
  id?: string;
  /** Read back from the agent's own transcript: a reply a crashed run received but Lanes never saw. */
  recovered?: true;
}

export interface AgentFinal {
  ok: boolean;
  /** The agent's own result kind: `success`, `error_max_turns`, `turn.failed`, … */
  subtype: string;
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** What the agent reported it cost; undefined when it does not say. */
  costUsd?: number;
  /** HTTP status of the provider error behind a failed result, when the agent says. */
  errorStatus?: number;
}

/** A failure seen mid-stream that makes further waiting pointless (e.g. rejected credentials). */
export interface AgentFatal {
  cls: FailureClass;
  message: string;
}

export interface AgentStreamCallbacks {
  /** The agent's session id, as soon as the stream names it. */
  onSession?(sessionId: string): void;
  onTurn?(turn: AgentTurn): void;
  onFatal?(fatal: AgentFatal): void;
}

export interface AgentStreamState {
  sessionId?: string;
  turns: AgentTurn[];
  final?: AgentFinal;
  fatal?: AgentFatal;
  /** Error events the agent printed (provider errors, refusals), newest last. */
  errors: string[];
  /** Warnings the agent printed that do not fail the pass. */
  warnings: string[];
  /** The first few stdout lines that were not JSON objects. */
  nonJson: string[];
  nonJsonCount: number;
}

export interface AgentStreamParser {
  readonly state: AgentStreamState;
  /** One stdout line. */
  line(text: string): void;
  /** Stdout closed: close the open turn. */
  end(): void;
}

export const TEXT_LIMIT = 500;
const SUMMARY_LIMIT = 200;

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

export function clip(text: string, limit = TEXT_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** One line for an event: the command, path or first string field of a tool input. */
export function summarizeInput(input: unknown): string {
  if (typeof input === 'string') return clip(input.replace(/\s+/g, ' '), SUMMARY_LIMIT);
  if (!isObj(input)) return '';
  for (const key of ['command', 'cmd', 'file_path', 'path', 'pattern', 'url']) {
    const v = input[key];
    if (typeof v === 'string') return clip(v.replace(/\s+/g, ' '), SUMMARY_LIMIT);
    if (Array.isArray(v)) return clip(v.map(String).join(' '), SUMMARY_LIMIT);
  }
  return clip(JSON.stringify(input), SUMMARY_LIMIT);
}

export function emptyState(): AgentStreamState {
  return { turns: [], errors: [], warnings: [], nonJson: [], nonJsonCount: 0 };
}

/** Parses a line as a JSON object, recording it as non-JSON otherwise. */
export function parseLine(state: AgentStreamState, text: string): Json | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const v: unknown = JSON.parse(trimmed);
    if (isObj(v)) return v;
  } catch {
    // counted below
  }
  state.nonJsonCount += 1;
  if (state.nonJson.length < 3) state.nonJson.push(clip(trimmed, SUMMARY_LIMIT));
  return undefined;
}

/** The class of a provider error from its HTTP status or, failing that, its wording. */
export function providerErrorClass(status: number | undefined, message: string): FailureClass {
  if (status === 401 || status === 403) return 'provider_auth';
  if (status === 429) return 'provider_rate_limit';
  if (status !== undefined && status >= 500) return 'provider_internal';
  if (/\b401\b|unauthori[sz]ed|invalid[ _-]?api[ _-]?key|authentication/i.test(message)) return 'provider_auth';
  if (/\b429\b|rate[ _-]?limit|too many requests/i.test(message)) return 'provider_rate_limit';
  if (/context (length|window)|prompt is too long|maximum context/i.test(message)) return 'context_window';
  return 'provider_internal';
}

/** Splits a byte stream into lines, keeping an unfinished tail for the next chunk. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let buffer = '';
  return {
    push(chunk) {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    },
    flush() {
      if (buffer) onLine(buffer);
      buffer = '';
    },
  };
}
