// `lanes doctor`: a local health report; exit 1 when any check fails.
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { execa } from 'execa';
import { sandboxAllowsHostNetwork, type LanesConfig } from '../../config.js';
import { probeTlsHandshake, sdkConnectionOptions } from '../../connection/options.js';
import { describeConnection } from '../../connection/settings.js';
import { sandboxFeatures } from '../../sandbox/index.js';
import { findTemporalBinary } from '../../devserver/provision.js';
import { TEMPORAL_CLI_VERSION } from '../../devserver/version.js';
import { providerCredentialVars } from '../../providers/registry.js';
import { LANE_SEARCH_ATTRIBUTES } from '../../shared/search-attributes.js';
import { action } from '../context.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  summary: string;
  details: Record<string, unknown>;
}

/** Stable check names: automations key on them. */
export const CHECK_NAMES = [
  'temporal_binary',
  'connection_security',
  'tls_handshake',
  'server_reachable',
  'namespace',
  'search_attributes',
  'git',
  'node',
  'lanes_home',
  'provider_credentials',
  'sandbox',
] as const;

/** Which lane-sandbox features this host supports; lanes fail closed without them. */
async function checkSandbox(): Promise<Check> {
  const f = await sandboxFeatures();
  const details = { ...f, allowHostNetwork: null as boolean | null };
  if (!f.mountNamespace) {
    return { name: 'sandbox', status: 'fail', summary: `no lane sandbox on this host: agent bash and acceptance commands will be refused (${f.reasons.join('; ')})`, details };
  }
  const have = ['mount', f.networkNamespace && 'network (none)', f.loopback && 'private loopback', f.pidNamespace && 'pid'].filter(Boolean).join(', ');
  const missing = [!f.loopback && 'private loopback (sandbox.network: loopback is refused)', !f.pidNamespace && 'pid namespace (the worker\'s /proc stays visible)'].filter(Boolean);
  return {
    name: 'sandbox',
    status: missing.length ? 'warn' : 'ok',
    summary: `lane sandbox: ${have}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`,
    details,
  };
}

async function checkBinary(): Promise<Check> {
  const { binary, attempts } = await findTemporalBinary({ install: false });
  if (!binary) return { name: 'temporal_binary', status: 'fail', summary: 'no Temporal CLI binary; run `lanes setup` (or `npm run setup`)', details: { attempts } };
  const pinned = binary.version === TEMPORAL_CLI_VERSION;
  return {
    name: 'temporal_binary',
    status: pinned ? 'ok' : 'warn',
    summary: `temporal ${binary.version ?? 'unknown version'} at ${binary.path}${pinned ? '' : ` (Lanes pins ${TEMPORAL_CLI_VERSION})`}`,
    details: { path: binary.path, version: binary.version ?? null, source: binary.source, pinned: TEMPORAL_CLI_VERSION },
  };
}

async function checkServer(config: LanesConfig): Promise<Check[]> {
  let conn: Connection;
  try {
    conn = await Connection.connect({ ...sdkConnectionOptions(config.address, config.connection), connectTimeout: 3_000 });
  } catch (e) {
    const skipped = (name: string): Check => ({ name, status: 'warn', summary: 'not checked: server unreachable', details: {} });
    return [
      { name: 'server_reachable', status: 'fail', summary: `no Temporal server answers at ${config.address}; start one with \`lanes server\` or \`lanes up\``, details: { address: config.address, error: (e as Error).message.split('\n')[0] } },
      skipped('namespace'),
      skipped('search_attributes'),
    ];
  }
  try {
    const checks: Check[] = [{ name: 'server_reachable', status: 'ok', summary: `Temporal answers at ${config.address}`, details: { address: config.address } }];
    try {
      await conn.workflowService.describeNamespace({ namespace: config.namespace });
      checks.push({ name: 'namespace', status: 'ok', summary: `namespace ${config.namespace} exists`, details: { namespace: config.namespace } });
    } catch (e) {
      checks.push({ name: 'namespace', status: 'fail', summary: `namespace ${config.namespace} not found; \`lanes server\` creates it`, details: { namespace: config.namespace, error: (e as Error).message } });
      checks.push({ name: 'search_attributes', status: 'warn', summary: 'not checked: namespace missing', details: {} });
      return checks;
    }
    const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace: config.namespace });
    const present = Object.keys(customAttributes ?? {});
    const missing = LANE_SEARCH_ATTRIBUTES.map((k) => k.name).filter((n) => !present.includes(n));
    checks.push({
      name: 'search_attributes',
      status: missing.length ? 'fail' : 'ok',
      summary: missing.length ? `missing: ${missing.join(', ')}; register them: restart \`lanes server\` (it registers missing ones, embedded or --persistence postgres) or \`temporal operator search-attribute create\`` : `all ${LANE_SEARCH_ATTRIBUTES.length} lane search attributes registered`,
      details: { required: LANE_SEARCH_ATTRIBUTES.map((k) => k.name), missing },
    });
    return checks;
  } finally {
    await conn.close();
  }
}

async function checkGit(): Promise<Check> {
  try {
    const { stdout } = await execa('git', ['--version']);
    const version = /(\d+\.\d+(\.\d+)?)/.exec(stdout)?.[1] ?? stdout;
    const [maj = 0, min = 0] = version.split('.').map(Number);
    // 2.38: `merge-tree --write-tree` writes a lane's merge candidate without a checkout (src/git/land-commit.ts).
    const ok = maj > 2 || (maj === 2 && min >= 38);
    return { name: 'git', status: ok ? 'ok' : 'fail', summary: `git ${version}${ok ? '' : ' (need >= 2.38: lanes build merge candidates with `git merge-tree --write-tree`)'}`, details: { version } };
  } catch {
    return { name: 'git', status: 'fail', summary: 'git not found on PATH', details: {} };
  }
}

function checkNode(): Check {
  const [maj = 0, min = 0] = process.versions.node.split('.').map(Number);
  const ok = maj > 20 || (maj === 20 && min >= 3);
  return { name: 'node', status: ok ? 'ok' : 'fail', summary: `node ${process.version}${ok ? '' : ' (need >= 20.3)'}`, details: { version: process.version } };
}

function checkHome(home: string): Check {
  try {
    mkdirSync(home, { recursive: true });
    accessSync(home, constants.W_OK);
    const probe = join(home, `.doctor-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return { name: 'lanes_home', status: 'ok', summary: `${home} is writable`, details: { path: home } };
  } catch (e) {
    return { name: 'lanes_home', status: 'fail', summary: `${home} is not writable: ${(e as Error).message}; set LANES_HOME to a writable folder`, details: { path: home } };
  }
}

function checkCredentials(): Check {
  const vars = providerCredentialVars();
  const present = vars.filter((v) => v.present).map((v) => v.name);
  return {
    name: 'provider_credentials',
    status: present.length ? 'ok' : 'warn',
    summary: present.length ? `set: ${present.join(', ')}` : 'no model provider variables set; only the scripted (offline) provider is available',
    details: { variables: vars },
  };
}

/** What the connection is configured to use (never the key itself). */
function checkSecurity(config: LanesConfig): Check {
  const d = describeConnection(config.connection);
  const local = /^(localhost|127\.|\[?::1\]?)/.test(config.address);
  const what = { plaintext: 'plaintext (no TLS)', tls: 'TLS (server certificate verified)', mtls: 'mutual TLS (client certificate presented)' }[d.mode];
  const warn = d.mode === 'plaintext' && !local;
  return {
    name: 'connection_security',
    status: warn ? 'warn' : 'ok',
    summary: `${what}${d.apiKey ? ', API key set' : ''}${warn ? `; ${config.address} is not local: use TLS (docs/production.md)` : ''}`,
    details: { ...d, apiKeySource: config.connection.apiKey?.source ?? null },
  };
}

/** The TLS handshake on its own, so a wrong CA or a refused client certificate is named as such. */
async function checkHandshake(config: LanesConfig): Promise<Check> {
  if (!config.connection.tls) return { name: 'tls_handshake', status: 'ok', summary: 'not applicable: TLS is off', details: { skipped: true } };
  const r = await probeTlsHandshake(config.address, config.connection);
  return r.ok
    ? { name: 'tls_handshake', status: 'ok', summary: `TLS handshake with ${config.address} succeeded (${r.protocol ?? 'TLS'})`, details: { protocol: r.protocol ?? null } }
    : {
        name: 'tls_handshake',
        status: 'fail',
        summary: `TLS handshake with ${config.address} failed: ${r.error}; check the CA (--tls-ca-path), the client certificate and key (--tls-cert-path/--tls-key-path) and --tls-server-name`,
        details: { error: r.error ?? null },
      };
}

export async function runDoctor(config: LanesConfig): Promise<{ ok: boolean; checks: Check[] }> {
  const [binary, handshake, server, git, sandbox] = await Promise.all([checkBinary(), checkHandshake(config), checkServer(config), checkGit(), checkSandbox()]);
  sandbox.details.allowHostNetwork = sandboxAllowsHostNetwork(config.home);
  const checks = [binary, checkSecurity(config), handshake, ...server, git, checkNode(), checkHome(config.home), checkCredentials(), sandbox];
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check the local setup: Temporal binary, server, namespace, search attributes, git, node, $LANES_HOME, provider credentials')
    .action(
      action(async ({ out, config }) => {
        const report = await runDoctor(config);
        out.result(report, (r: typeof report) => [...r.checks.map((c) => `[${MARK[c.status]}] ${c.name}: ${c.summary}`), r.ok ? 'doctor: ok' : 'doctor: some checks failed'].join('\n'));
        return report.ok ? 0 : 1;
      }),
    );
}
