// Claude Code's own session transcript (`<CLAUDE_CONFIG_DIR>/projects/<cwd>/<session>.jsonl`):
// it writes each model reply there as soon as it arrives, before running the reply's tools.
// After a worker crash the transcript is the one record of replies the killed run received
// but never printed to Lanes (its stdout died with the worker), so a resumed pass counts
// their usage from here instead of losing it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClaudeStreamParser } from './claude-stream.js';
import type { AgentTurn } from './stream.js';

/** The transcript's file for a session, or undefined when Claude Code wrote none. */
export function claudeTranscriptFile(configDir: string, sessionId: string): string | undefined {
  const projects = join(configDir, 'projects');
  if (!existsSync(projects)) return undefined;
  for (const dir of readdirSync(projects)) {
    const file = join(projects, dir, `${sessionId}.jsonl`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The model turns the transcript holds, in order, each with its provider message id. */
export function claudeTranscriptTurns(configDir: string, sessionId: string): AgentTurn[] {
  const file = claudeTranscriptFile(configDir, sessionId);
  if (!file) return [];
  const parser = createClaudeStreamParser();
  // Transcript lines are the stream's shapes (assistant lines with the message, usage and
  // id); lines of other types (attachments, request blobs) are ignored by the parser.
  for (const line of readFileSync(file, 'utf8').split('\n')) parser.line(line);
  parser.end();
  return parser.state.turns;
}
