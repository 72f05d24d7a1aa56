// Rough token counts from characters (~4 chars per token). Used where no
// tokenizer is available: the scripted provider's usage, the mock model
// server's usage, and the context-window preflight before a request is sent.
import type { ContentBlock, ModelRequest } from './types.js';

export const CHARS_PER_TOKEN = 4;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function blockChars(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'tool_use':
      return block.name.length + JSON.stringify(block.input).length;
    case 'tool_result':
      return block.content.length;
  }
}

export function estimateContentTokens(content: readonly ContentBlock[]): number {
  return Math.ceil(content.reduce((n, b) => n + blockChars(b), 0) / CHARS_PER_TOKEN);
}

/** Input tokens a request will cost: system prompt, every message, and the tool definitions. */
export function estimateRequestTokens(req: Pick<ModelRequest, 'system' | 'messages' | 'tools'>): number {
  let chars = req.system?.length ?? 0;
  for (const m of req.messages) for (const b of m.content) chars += blockChars(b);
  for (const t of req.tools) chars += t.name.length + t.description.length + JSON.stringify(t.inputSchema).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
