import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANES_CLIENT_INFO } from '../../src/mcp/session.js';
import { LANES_VERSION, PACKAGE_ROOT } from '../../src/package-info.js';

describe('package-info', () => {
  it('is the one version source: the CLI, the webhook user agent and the MCP client info say package.json\'s version', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(pkg.name).toBe('lanes');
    expect(LANES_VERSION).toBe(pkg.version);
    // Must not: a hard-coded version drifting from package.json.
    expect(LANES_CLIENT_INFO.version).toBe(pkg.version);
  });
});
