import { describe, expect, it } from 'vitest';
import {
  MCP_FAILURE_MODES,
  McpReportSchema,
  buildReport,
  failedServer,
  failureClassForMode,
  isRecoverableMode,
  requiredFailed,
  requiredFailures,
} from '../../../src/mcp/report.js';

const healthy = (name: string) => ({ name, tools: [{ name: 't' }], resources: [], serverInfo: { name: 'srv', version: '1' } });
const failed = (name: string, mode: (typeof MCP_FAILURE_MODES)[number] = 'startup') =>
  failedServer(name, { mode, message: `${name} broke`, recommendation: `fix mcp.servers.${name}.command` }, mode === 'config' ? 0 : 2);

describe('mcp/report', () => {
  it.each([
    ['config', 'mcp_config', false],
    ['startup', 'mcp_startup', true],
    ['handshake', 'mcp_handshake', true],
    ['partial', 'mcp_handshake', true],
  ] as const)('maps failure mode %s to class %s, recoverable %s', (mode, cls, recoverable) => {
    expect(failureClassForMode(mode)).toBe(cls);
    expect(isRecoverableMode(mode)).toBe(recoverable);
    expect(failed('s', mode)).toMatchObject({ failure_mode: mode, class: cls, recoverable });
  });

  it('is degraded when any server failed, and not when all are healthy', () => {
    expect(buildReport([healthy('a')], []).degraded).toBe(false);
    expect(buildReport([], []).degraded).toBe(false);
    expect(buildReport([healthy('a')], [failed('b')]).degraded).toBe(true);
    expect(buildReport([], [failed('b')]).degraded).toBe(true);
  });

  it('sorts servers by name and validates against the strict schema', () => {
    const report = buildReport([healthy('zeta'), healthy('alpha')], [failed('m'), failed('c', 'config')]);
    expect(report.healthy.map((h) => h.name)).toEqual(['alpha', 'zeta']);
    expect(report.failed.map((f) => f.name)).toEqual(['c', 'm']);
    expect(McpReportSchema.parse(report)).toEqual(report);
  });

  it('rejects a report with unknown keys or a wrong class', () => {
    const report = buildReport([healthy('a')], [failed('b')]);
    expect(McpReportSchema.safeParse({ ...report, extra: 1 }).success).toBe(false);
    expect(McpReportSchema.safeParse({ ...report, failed: [{ ...report.failed[0], class: 'nope' }] }).success).toBe(false);
  });

  it('finds failed servers marked required, including invalid entries, but not optional ones', () => {
    const report = buildReport([healthy('ok')], [failed('req'), failed('opt'), failed('badcfg', 'config')]);
    const entries = { ok: { command: 'x', required: true }, req: { command: 'y', required: true }, opt: { command: 'z' }, badcfg: { url: 5, required: true } };
    expect(requiredFailures(report, entries)).toEqual(['badcfg', 'req']);
    expect(requiredFailed(report, entries)).toBe(true);
    expect(requiredFailed(report, { ...entries, req: { command: 'y' }, badcfg: {} })).toBe(false);
  });
});
