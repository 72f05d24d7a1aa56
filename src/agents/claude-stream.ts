// `claude -p --output-format stream-json --verbose`: a `system/init` line with the
// session id, one `assistant` line per content block (lines of one model turn share
// the message id), `user` lines with tool results, `system/api_retry` while the
// provider refuses, and a final `result` line with cost and usage.
import {
  type AgentStreamCallbacks,
  type AgentStreamParser,
  type AgentTurn,
  clip,
  emptyState,
  isObj,
  num,
  parseLine,
  providerErrorClass,
  str,
  summarizeInput,
} from './stream.js';

export function createClaudeStreamParser(cb: AgentStreamCallbacks = {}): AgentStreamParser {
  const state = emptyState();
  let open: (AgentTurn & { messageId: string }) | undefined;

  const close = () => {
    if (!open) return;
    const { messageId, ...turn } = open;
    turn.text = clip(turn.text);
    if (!messageId.startsWith('line-')) turn.id = messageId;
    state.turns.push(turn);
    open = undefined;
    cb.onTurn?.(turn);
  };

  const session = (id: unknown) => {
    if (typeof id !== 'string' || !id || state.sessionId) return;
    state.sessionId = id;
    cb.onSession?.(id);
  };

  return {
    state,
    line(text) {
      const msg = parseLine(state, text);
      if (!msg) return;
      session(msg.session_id);
      if (msg.type === 'system' && msg.subtype === 'api_retry') {
        const status = typeof msg.error_status === 'number' ? msg.error_status : undefined;
        const cls = providerErrorClass(status, str(msg.error));
        state.errors.push(clip(`provider error ${status ?? ''} ${str(msg.error)} (attempt ${num(msg.attempt)})`.trim()));
        // Claude Code retries a rejected key for minutes; no retry can fix credentials.
        if (cls === 'provider_auth' && !state.fatal) {
          state.fatal = { cls, message: `the provider rejected the credentials (HTTP ${status ?? '?'}: ${str(msg.error) || 'authentication failed'})` };
          cb.onFatal?.(state.fatal);
        }
        return;
      }
      // Claude Code's own placeholder replies (model "<synthetic>", e.g. after an interrupted tool call) are no model turns.
      if (msg.type === 'assistant' && isObj(msg.message) && msg.message.model !== '<synthetic>') {
        const m = msg.message;
        const id = str(m.id) || `line-${state.turns.length}`;
        if (open && open.messageId !== id) close();
        open ??= { messageId: id, index: state.turns.length + 1, text: '', toolUses: [], usage: { inputTokens: 0, outputTokens: 0 } };
        for (const block of Array.isArray(m.content) ? m.content.filter(isObj) : []) {
          if (block.type === 'text') open.text += str(block.text);
          else if (block.type === 'tool_use') open.toolUses.push({ name: clip(str(block.name), 100), summary: summarizeInput(block.input) });
        }
        if (isObj(m.usage)) {
          // Every line of a turn repeats the message usage; the latest figures win.
          open.usage = { inputTokens: num(m.usage.input_tokens) + num(m.usage.cache_read_input_tokens) + num(m.usage.cache_creation_input_tokens), outputTokens: num(m.usage.output_tokens) };
        }
        return;
      }
      if (msg.type === 'result') {
        close();
        const usage = isObj(msg.usage) ? msg.usage : {};
        const subtype = str(msg.subtype) || 'unknown';
        const status = typeof msg.api_error_status === 'number' ? msg.api_error_status : undefined;
        state.final = {
          ok: msg.is_error !== true && subtype === 'success',
          subtype,
          text: clip(str(msg.result) || (Array.isArray(msg.errors) ? msg.errors.map(String).join('; ') : '')),
          usage: {
            inputTokens: num(usage.input_tokens) + num(usage.cache_read_input_tokens) + num(usage.cache_creation_input_tokens),
            outputTokens: num(usage.output_tokens),
          },
          ...(typeof msg.total_cost_usd === 'number' ? { costUsd: num(msg.total_cost_usd) } : {}),
          ...(status !== undefined ? { errorStatus: status } : {}),
        };
      }
    },
    end() {
      close();
    },
  };
}
