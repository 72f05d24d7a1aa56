// Rendering an MCP tool result as the plain text an agent turn consumes.
// Binary blocks are described, not inlined: base64 images would only burn context.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

type ContentBlock = CallToolResult['content'][number];

function renderBlock(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
      return `[image ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'audio':
      return `[audio ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'resource_link':
      return `[resource link ${block.uri}${block.name ? ` (${block.name})` : ''}]`;
    case 'resource': {
      const r = block.resource;
      return 'text' in r ? r.text : `[resource ${r.uri}${r.mimeType ? ` ${r.mimeType}` : ''}, ${base64Bytes(r.blob)} bytes]`;
    }
    default:
      return `[unsupported content ${JSON.stringify(block).slice(0, 200)}]`;
  }
}

function base64Bytes(data: string): number {
  return Math.floor((data.length * 3) / 4);
}

/** Text blocks joined by newlines; structured content is used when there are no blocks. */
export function renderToolResult(result: Pick<CallToolResult, 'content' | 'structuredContent'>): string {
  const blocks = result.content ?? [];
  if (blocks.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return blocks.map(renderBlock).join('\n');
}
