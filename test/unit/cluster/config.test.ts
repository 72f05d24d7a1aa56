// Rendering the production server config, and refusing bad `lanes server --persistence postgres` input.
import { describe, expect, it } from 'vitest';
import { renderClusterConfig, servicePorts } from '../../../src/cluster/config.js';
import { parsePgUrl } from '../../../src/cluster/pg-url.js';
import { runCli } from '../../support/cli.js';

describe('server config rendering', () => {
  it('parses a PostgreSQL URL into both databases', () => {
    expect(parsePgUrl('postgres://tem%40poral:p%3Ass@db.internal:6543/lanes')).toEqual({
      host: 'db.internal', port: 6543, user: 'tem@poral', password: 'p:ss', database: 'lanes', visibilityDatabase: 'lanes_visibility',
    });
    expect(parsePgUrl('postgresql://u@h').database).toBe('temporal');
  });

  it.each([
    ['mysql://u:p@h/db', /must start with postgres:\/\//],
    ['postgres://h:5432/db', /has no user/],
    ['postgres://u:p@h/bad-name;drop', /not a plain identifier/],
    ['not a url', /is not a URL/],
  ])('refuses --pg-url %s', (url, message) => {
    expect(() => parsePgUrl(url)).toThrow(message);
  });

  it('keeps membership ports within smallint and derives the service ports', () => {
    expect(servicePorts(7233, 6933)).toEqual({
      frontend: { grpcPort: 7233, membershipPort: 6933, httpPort: 7243 },
      history: { grpcPort: 7234, membershipPort: 6934 },
      matching: { grpcPort: 7235, membershipPort: 6935 },
      worker: { grpcPort: 7236, membershipPort: 6936 },
    });
    // Must not: a membership port PostgreSQL cannot store (every service dies at start).
    expect(() => servicePorts(7233, 32_765)).toThrow(/smallint/);
  });

  it('turns on frontend mTLS and the system worker certificate only with server TLS', () => {
    const base = { pg: parsePgUrl('postgres://u:p@h/t'), port: 7233, membershipPort: 6933, bindIp: '127.0.0.1', broadcastAddress: '127.0.0.1', historyShards: 4, dynamicConfigFile: '/d.yaml' };
    expect((renderClusterConfig(base).global as Record<string, unknown>).tls).toBeUndefined();
    const tls = (renderClusterConfig({ ...base, tls: { certFile: '/s.pem', keyFile: '/s.key', caFile: '/ca.pem', serverName: 'localhost' } }).global as { tls: Record<string, any> }).tls;
    expect(tls.frontend.server).toEqual({ certFile: '/s.pem', keyFile: '/s.key', requireClientAuth: true, clientCaFiles: ['/ca.pem'] });
    expect(tls.systemWorker).toEqual({ certFile: '/s.pem', keyFile: '/s.key', client: { serverName: 'localhost', rootCaFiles: ['/ca.pem'] } });
  });
});

describe('lanes server --persistence postgres: bad input', () => {
  it.each<[string, string[], RegExp]>([
    ['no --pg-url', ['server', '--persistence', 'postgres'], /needs --pg-url/],
    ['an unknown persistence', ['server', '--persistence', 'mysql'], /--persistence must be sqlite or postgres/],
    ['half the server TLS flags', ['server', '--persistence', 'postgres', '--pg-url', 'postgres://u:p@h/t', '--tls-server-cert', '/etc/hostname'], /needs --tls-server-key and --tls-server-ca as well/],
    ['a membership port above smallint', ['server', '--persistence', 'postgres', '--pg-url', 'postgres://u:p@h/t', '--membership-port', '40000'], /--membership-port must be an integer between 1 and 32764/],
  ])('exits 2 on %s, starting nothing', async (_label, args, message) => {
    const r = await runCli(['--json', ...args], { env: { LANES_PG_URL: '', TEMPORAL_SERVER_PATH: '/nonexistent-so-nothing-starts' } });
    expect(r.exitCode).toBe(2);
    expect(r.json().error.message).toMatch(message);
  });
});
