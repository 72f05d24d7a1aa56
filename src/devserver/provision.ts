// Finds or makes the Temporal CLI binary that runs the embedded dev server.
// Order (issue #2): TEMPORAL_CLI_PATH, `temporal` on PATH, the lanes cache,
// `go install` into the cache, then the SDK's own download.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { LanesError } from '../errors.js';
import { TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION } from './version.js';

export type BinarySource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go-install' | 'sdk-download';

export interface TemporalBinary {
  path: string;
  source: BinarySource;
  /** e.g. "1.5.1"; undefined when `--version` printed nothing we understand. */
  version?: string;
}

export interface ProvisionAttempt {
  route: BinarySource;
  outcome: 'found' | 'missing' | 'failed' | 'skipped';
  detail: string;
}

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** When false, only look (doctor); never build or download. */
  install?: boolean;
  /** Progress lines for long steps (go install takes minutes the first time). */
  onProgress?: (line: string) => void;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lanes', `temporal-v${TEMPORAL_CLI_VERSION}`);
}

/** A regular file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Parses `temporal --version` output: "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
export async function binaryVersion(path: string): Promise<string | undefined> {
  try {
    const { stdout } = await execa(path, ['--version'], { timeout: 15_000 });
    return /version\s+v?(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

async function goInstall(dir: string, env: NodeJS.ProcessEnv, onProgress?: (l: string) => void): Promise<string> {
  mkdirSync(dir, { recursive: true });
  onProgress?.(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (first run only; several minutes)...`);
  // -X stamps the version the official release build stamps, so `temporal --version` is honest.
  const ldflags = `-ldflags=-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
  await execa('go', ['install', ldflags, `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
    env: { ...env, GOBIN: dir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
    cwd: dir,
    timeout: 30 * 60_000,
    all: true,
  });
  return join(dir, 'temporal');
}

/** The SDK's own download (needs internet): Core fetches the CLI into dir on first start. */
async function sdkDownload(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir: dir, version: `v${TEMPORAL_CLI_VERSION}` } },
  });
  await env.teardown();
  const found = readdirSync(dir)
    .map((f) => join(dir, f))
    .find((p) => /temporal/.test(p) && isExecutable(p));
  if (!found) throw new Error(`download finished but no executable was found in ${dir}`);
  return found;
}

export async function findTemporalBinary(opts: ProvisionOptions = {}): Promise<{ binary?: TemporalBinary; attempts: ProvisionAttempt[] }> {
  const env = opts.env ?? process.env;
  const attempts: ProvisionAttempt[] = [];
  const done = async (path: string, source: BinarySource) => ({ binary: { path, source, version: await binaryVersion(path) }, attempts });

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (isExecutable(explicit)) {
      attempts.push({ route: 'TEMPORAL_CLI_PATH', outcome: 'found', detail: explicit });
      return done(explicit, 'TEMPORAL_CLI_PATH');
    }
    attempts.push({ route: 'TEMPORAL_CLI_PATH', outcome: 'failed', detail: `${explicit} is not an executable file` });
  } else attempts.push({ route: 'TEMPORAL_CLI_PATH', outcome: 'missing', detail: 'not set' });

  const fromPath = onPath('temporal', env);
  if (fromPath) {
    attempts.push({ route: 'PATH', outcome: 'found', detail: fromPath });
    return done(fromPath, 'PATH');
  }
  attempts.push({ route: 'PATH', outcome: 'missing', detail: 'no `temporal` on PATH' });

  const dir = cacheDir(env);
  const cached = join(dir, 'temporal');
  // A binary the SDK downloaded earlier counts as cached too.
  const downloaded = existsSync(join(dir, 'sdk-download'))
    ? readdirSync(join(dir, 'sdk-download')).map((f) => join(dir, 'sdk-download', f)).find((p) => /temporal/.test(p) && isExecutable(p))
    : undefined;
  for (const candidate of [cached, downloaded]) {
    if (candidate && isExecutable(candidate)) {
      attempts.push({ route: 'cache', outcome: 'found', detail: candidate });
      return done(candidate, 'cache');
    }
  }
  attempts.push({ route: 'cache', outcome: 'missing', detail: `${cached} does not exist` });

  if (opts.install === false) return { attempts };

  if (onPath('go', env)) {
    try {
      const built = await goInstall(dir, env, opts.onProgress);
      attempts.push({ route: 'go-install', outcome: 'found', detail: built });
      return done(built, 'go-install');
    } catch (e) {
      const msg = ((e as { all?: string }).all || (e as Error).message).split('\n').slice(-5).join(' | ');
      attempts.push({ route: 'go-install', outcome: 'failed', detail: msg });
    }
  } else attempts.push({ route: 'go-install', outcome: 'skipped', detail: 'no `go` on PATH' });

  try {
    opts.onProgress?.('trying the Temporal SDK download (needs internet)...');
    const downloaded = await sdkDownload(join(dir, 'sdk-download'));
    attempts.push({ route: 'sdk-download', outcome: 'found', detail: downloaded });
    return done(downloaded, 'sdk-download');
  } catch (e) {
    attempts.push({ route: 'sdk-download', outcome: 'failed', detail: (e as Error).message.split('\n')[0] ?? String(e) });
  }
  return { attempts };
}

/** Like findTemporalBinary, but a missing binary is an error listing every route tried. */
export async function requireTemporalBinary(opts: ProvisionOptions = {}): Promise<TemporalBinary> {
  const { binary, attempts } = await findTemporalBinary(opts);
  if (binary) return binary;
  const tried = attempts.map((a) => `${a.route}: ${a.outcome} (${a.detail})`).join('; ');
  throw new LanesError(
    'unavailable',
    `no Temporal CLI binary found. Tried: ${tried}`,
    `Set TEMPORAL_CLI_PATH to a temporal v${TEMPORAL_CLI_VERSION} binary, put \`temporal\` on PATH, or install Go and run \`npm run setup\` (it runs go install ${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION} into ${cacheDir(opts.env)}).`,
    'infra',
  );
}

export function cachedBinaryExists(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(join(cacheDir(env), 'temporal'));
}
