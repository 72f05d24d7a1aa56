import { describe, expect, it } from 'vitest';
import { validateServer } from '../../../src/mcp/config.js';
import { resolveEnvRefs } from '../../../src/mcp/env-refs.js';

function config(entry: Record<string, unknown>) {
  const result = validateServer('gh', entry);
  if (!('config' in result)) throw new TypeError(result.issue.message);
  return result.config;
}

describe('mcp/env-refs', () => {
  it('resolves ${NAME} in stdio env values from the given environment', () => {
    const result = resolveEnvRefs('gh', config({ command: 'x', env: { TOKEN: '${GH_TOKEN}', URL: 'https://${HOST}/api', PLAIN: 'a$b' } }), { GH_TOKEN: 't0k', HOST: 'example.com' });
    expect(result).toEqual({ config: expect.objectContaining({ env: { TOKEN: 't0k', URL: 'https://example.com/api', PLAIN: 'a$b' } }) });
  });

  it('resolves references in remote headers', () => {
    const result = resolveEnvRefs('gh', config({ url: 'https://x/mcp', headers: { Authorization: 'Bearer ${GH_TOKEN}' } }), { GH_TOKEN: 't0k' });
    expect(result).toEqual({ config: expect.objectContaining({ headers: { Authorization: 'Bearer t0k' } }) });
  });

  it('turns a missing variable into a config issue naming the field and the variable, without leaking other values', () => {
    const result = resolveEnvRefs('gh', config({ command: 'x', env: { A: '${SET}', B: '${UNSET_VAR}' } }), { SET: 'secret-value' });
    expect(result).toEqual({
      issue: {
        name: 'gh',
        field: 'env.B',
        message: expect.stringContaining('mcp.servers.gh.env.B: refers to ${UNSET_VAR}'),
        hint: expect.stringContaining('Export UNSET_VAR'),
      },
    });
    expect(JSON.stringify(result)).not.toContain('secret-value');
  });
});
