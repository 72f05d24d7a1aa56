// `codex exec --json`: `thread.started` with the session (thread) id, `turn.started`,
// `item.started` / `item.completed` for messages, commands, file changes and MCP calls,
// then `turn.completed` with usage, or `error` + `turn.failed`. Codex reports usage
// once per exec, so it lands on the last turn; a turn here is one agent message and
// the tool items that follow it.
import {
  type AgentStreamCallbacks,
  type AgentStreamParser,
  type AgentToolUse,
  type AgentTurn,
  clip,
  emptyState,
  isObj,
  type Json,
  num,
  parseLine,
  str,
  summarizeInput,
} from './stream.js';

function toolUseOf(item: Json): AgentToolUse | undefined {
  switch (item.type) {
    case 'command_execution':
      return { name: 'shell', summary: summarizeInput(str(item.command)) };
    case 'file_change': {
      const paths = Array.isArray(item.changes) ? item.changes.filter(isObj).map((c) => `${str(c.kind)} ${str(c.path)}`.trim()) : [];
      return { name: 'apply_patch', summary: clip(paths.join(', '), 200) };
    }
    case 'mcp_tool_call':
      return { name: `mcp__${str(item.server)}__${str(item.tool)}`, summary: summarizeInput(item.arguments) };
    case 'web_search':
      return { name: 'web_search', summary: summarizeInput(str(item.query)) };
    default:
      return undefined;
  }
}

export function createCodexStreamParser(cb: AgentStreamCallbacks = {}): AgentStreamParser {
  const state = emptyState();
  let open: AgentTurn | undefined;

  const close = () => {
    if (!open) return;
    open.text = clip(open.text);
    state.turns.push(open);
    cb.onTurn?.(open);
    open = undefined;
  };
  const start = (): AgentTurn => (open = { index: state.turns.length + 1, text: '', toolUses: [], usage: { inputTokens: 0, outputTokens: 0 } });

  return {
    state,
    line(text) {
      const msg = parseLine(state, text);
      if (!msg) return;
      switch (msg.type) {
        case 'thread.started': {
          const id = str(msg.thread_id);
          if (id && !state.sessionId) {
            state.sessionId = id;
            cb.onSession?.(id);
          }
          return;
        }
        case 'item.completed': {
          const item = isObj(msg.item) ? msg.item : {};
          if (item.type === 'agent_message') {
            // A message opens the next turn unless the open one has only text so far.
            if (open && open.toolUses.length > 0) close();
            open ??= start();
            open.text += (open.text ? '\n' : '') + str(item.text);
          } else if (item.type === 'error') {
            // Non-fatal notices (e.g. unknown model metadata) arrive as error items.
            state.warnings.push(clip(str(item.message)));
          } else {
            const use = toolUseOf(item);
            if (use) (open ??= start()).toolUses.push(use);
          }
          return;
        }
        case 'turn.completed': {
          close();
          const usage = isObj(msg.usage) ? msg.usage : {};
          const totals = { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) + num(usage.reasoning_output_tokens) };
          const last = state.turns[state.turns.length - 1];
          if (last) last.usage = totals;
          const text = last?.text ?? '';
          state.final = { ok: true, subtype: 'turn.completed', text, usage: totals };
          return;
        }
        case 'turn.failed': {
          close();
          const message = isObj(msg.error) ? str(msg.error.message) : '';
          state.final = { ok: false, subtype: 'turn.failed', text: clip(message || state.errors[state.errors.length - 1] || 'turn failed'), usage: { inputTokens: 0, outputTokens: 0 } };
          return;
        }
        case 'error':
          state.errors.push(clip(str(msg.message)));
          return;
        default:
          return;
      }
    },
    end() {
      close();
    },
  };
}
