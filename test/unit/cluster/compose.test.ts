// docker-compose.yml, the rendered server config and the pinned versions agree.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMPOSE_CLUSTER_INPUT, COMPOSE_CONFIG_DIR, COMPOSE_PG_URL } from '../../../src/cluster/compose.js';
import { PG_PLUGIN, PG_SCHEMAS, renderClusterConfig, renderDynamicConfig } from '../../../src/cluster/config.js';
import { TEMPORAL_SERVER_VERSION } from '../../../src/devserver/version.js';
import { cliTypeName, LANE_SEARCH_ATTRIBUTES } from '../../../src/shared/search-attributes.js';
import { runCli } from '../../support/cli.js';

type Service = { image?: string; entrypoint?: string[]; command?: string[]; configs?: { source: string; target: string }[]; environment?: Record<string, string>; hostname?: string };
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
};

describe('docker-compose.yml agrees with the code', () => {
  it('inlines exactly the server config and dynamic config Lanes renders', () => {
    expect(parse(compose.configs['temporal-config']!.content)).toEqual(renderClusterConfig(COMPOSE_CLUSTER_INPUT));
    expect(parse(compose.configs['temporal-dynamicconfig']!.content)).toEqual(renderDynamicConfig());
    const server = compose.services.temporal!;
    expect(server.configs).toEqual([
      { source: 'temporal-config', target: `${COMPOSE_CONFIG_DIR}/lanes.yaml` },
      { source: 'temporal-dynamicconfig', target: `${COMPOSE_CONFIG_DIR}/dynamicconfig.yaml` },
    ]);
    expect(server.entrypoint).toEqual(['temporal-server', '--root', '/etc/temporal', '--config', 'config/lanes', '--env', 'lanes', '--allow-no-auth', 'start']);
  });

  it('is what `lanes server --persistence postgres --print-config` prints for the compose inputs', async () => {
    const r = await runCli(['server', '--persistence', 'postgres', '--pg-url', COMPOSE_PG_URL, '--bind-ip', '0.0.0.0', '--print-config', '--json']);
    expect(r.exitCode).toBe(0);
    const printed = parse(r.json().config) as Record<string, unknown>;
    const inline = parse(compose.configs['temporal-config']!.content) as Record<string, unknown>;
    // Only the dynamic config path differs: $LANES_HOME on a host, /etc/temporal in the container.
    expect({ ...printed, dynamicConfigClient: null }).toEqual({ ...inline, dynamicConfigClient: null });
  });

  it('pins every Temporal image to the server version the tests run', () => {
    const temporalImages = Object.values(compose.services).map((s) => s.image).filter((i): i is string => !!i && i.startsWith('temporalio/') && !i.startsWith('temporalio/ui'));
    expect(temporalImages.length).toBeGreaterThanOrEqual(3);
    for (const image of temporalImages) expect(image).toMatch(new RegExp(`^temporalio/(server|admin-tools):${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}($|-)`));
    // Must not: a stale draft version anywhere in the file.
    expect(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')).not.toMatch(/1\.30\.\d/);
  });

  it('migrates the same schemas and registers the same search attributes as lanes server', () => {
    const schema = compose.services['temporal-schema']!;
    expect(schema.environment).toMatchObject({ SQL_PLUGIN: PG_PLUGIN, SQL_HOST: COMPOSE_CLUSTER_INPUT.pg.host, SQL_USER: COMPOSE_CLUSTER_INPUT.pg.user });
    const script = schema.command!.join('\n');
    expect(script).toContain(`${COMPOSE_CLUSTER_INPUT.pg.database}:${PG_SCHEMAS.default}`);
    expect(script).toContain(`${COMPOSE_CLUSTER_INPUT.pg.visibilityDatabase}:${PG_SCHEMAS.visibility}`);
    const attrs = /for attr in ([^;]+);/.exec(compose.services['temporal-namespace']!.command!.join('\n'))![1]!.trim().split(/\s+/);
    expect(attrs).toEqual(LANE_SEARCH_ATTRIBUTES.map((k) => `${k.name}:${cliTypeName(k.type)}`));
  });

  it('gives each worker host a stable hostname (its host id) and its own LANES_HOME volume', () => {
    const workers = Object.entries(compose.services).filter(([name]) => name.startsWith('worker-'));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const homes = workers.map(([, s]) => (s as { volumes?: string[] }).volumes?.find((v) => v.endsWith(':/var/lib/lanes')));
    expect(new Set(homes).size).toBe(workers.length);
    expect(workers.map(([name, s]) => s.hostname === name)).toEqual(workers.map(() => true));
  });
});
