import { describe, expect, it } from 'vitest';
import { isQualifiedMcpToolName, qualifiedToolName } from '../../../src/mcp/tool-names.js';

describe('mcp/tool-names', () => {
  it('qualifies tool names as mcp__<server>__<tool>', () => {
    expect(qualifiedToolName('github', 'create_issue')).toBe('mcp__github__create_issue');
    expect(isQualifiedMcpToolName('mcp__github__create_issue')).toBe(true);
    expect(isQualifiedMcpToolName('read_file')).toBe(false);
  });
});
