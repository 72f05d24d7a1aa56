import { describe, expect, it } from 'vitest';
import { renderToolResult } from '../../../src/mcp/tool-output.js';

describe('mcp/tool-output', () => {
  it('joins text blocks and describes binary blocks instead of inlining them', () => {
    const base64 = Buffer.alloc(300).toString('base64');
    const out = renderToolResult({
      content: [
        { type: 'text', text: 'line one' },
        { type: 'image', data: base64, mimeType: 'image/png' },
        { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt' },
        { type: 'resource', resource: { uri: 'file:///b.txt', text: 'embedded text' } },
        { type: 'resource', resource: { uri: 'file:///c.bin', blob: base64, mimeType: 'application/octet-stream' } },
      ],
    });
    expect(out.split('\n')).toEqual([
      'line one',
      '[image image/png, 300 bytes]',
      '[resource link file:///a.txt (a.txt)]',
      'embedded text',
      '[resource file:///c.bin application/octet-stream, 300 bytes]',
    ]);
    expect(out).not.toContain(base64);
  });

  it('falls back to structured content when there are no content blocks', () => {
    expect(renderToolResult({ content: [], structuredContent: { sum: 5 } })).toBe('{"sum":5}');
    expect(renderToolResult({ content: [] })).toBe('');
  });
});
