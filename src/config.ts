// Where Lanes finds its Temporal server, task queue and home folder.
// Precedence: explicit flag > environment variable > $LANES_HOME/config.json > default.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { LanesError } from './errors.js';

export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'lanes';
export const DEFAULT_SERVER_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

export const ConfigFileSchema = z
  .object({
    address: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    taskQueue: z.string().min(1).optional(),
    /** Repositories under these roots are trusted without an explicit `lanes trust`. */
    trustedRoots: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface LanesConfig {
  home: string;
  address: string;
  namespace: string;
  taskQueue: string;
  trustedRoots: string[];
  configFile: string;
}

export function lanesHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LANES_HOME ?? join(homedir(), '.lanes'));
}

function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LanesError('validation', `config file ${path} is not valid JSON: ${(e as Error).message}`, 'Fix the JSON or remove the file.');
  }
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LanesError('validation', `config file ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'Allowed keys: address, namespace, taskQueue, trustedRoots.');
  }
  return parsed.data;
}

export function loadConfig(flags: Partial<Pick<LanesConfig, 'address' | 'namespace' | 'taskQueue'>> = {}, env: NodeJS.ProcessEnv = process.env): LanesConfig {
  const home = lanesHome(env);
  const configFile = join(home, 'config.json');
  const file = readConfigFile(configFile);
  const envRoots = env.LANES_TRUSTED_ROOTS ? env.LANES_TRUSTED_ROOTS.split(':').filter(Boolean) : [];
  return {
    home,
    configFile,
    address: flags.address ?? env.TEMPORAL_ADDRESS ?? file.address ?? DEFAULT_ADDRESS,
    namespace: flags.namespace ?? env.TEMPORAL_NAMESPACE ?? file.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: flags.taskQueue ?? env.LANES_TASK_QUEUE ?? file.taskQueue ?? DEFAULT_TASK_QUEUE,
    trustedRoots: [...envRoots, ...(file.trustedRoots ?? [])].map((r) => resolve(r)),
  };
}
