// Creates and migrates the two PostgreSQL databases with temporal-sql-tool. Idempotent (checked:
// the tool keeps an existing database and a newer schema version), and update-schema
// only applies the versions the database lacks.
import { execa } from 'execa';
import { LanesError } from '../errors.js';
import { PG_PLUGIN, PG_SCHEMAS } from './config.js';
import type { PgTarget } from './pg-url.js';

export interface SchemaStep {
  database: string;
  step: 'create-database' | 'setup-schema' | 'update-schema';
  outcome: 'done' | 'exists';
}

const ALREADY = /already exists|duplicate/i;

export async function setupSchemas(sqlTool: string, pg: PgTarget, onProgress?: (line: string) => void): Promise<SchemaStep[]> {
  // Credentials go through the environment, never argv (other users can read argv).
  const env = { SQL_PLUGIN: PG_PLUGIN, SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password };
  const run = async (database: string, args: string[]) => {
    const r = await execa(sqlTool, ['--db', database, ...args], { env: { ...process.env, ...env }, reject: false, all: true, timeout: 5 * 60_000 });
    return { ok: r.exitCode === 0, output: String(r.all ?? '') };
  };
  const steps: SchemaStep[] = [];
  for (const [database, schema] of [[pg.database, PG_SCHEMAS.default], [pg.visibilityDatabase, PG_SCHEMAS.visibility]] as const) {
    const fail = (step: string, output: string): never => {
      throw new LanesError('unavailable', `temporal-sql-tool ${step} on database ${database} at ${pg.host}:${pg.port} failed: ${output.trim().split('\n').slice(-3).join(' | ')}`,
        'Check --pg-url (user, password, host, port) and that the user may create databases; see docs/production.md.', 'infra');
    };
    const created = await run(database, ['create-database']);
    if (!created.ok && !ALREADY.test(created.output)) fail('create-database', created.output);
    steps.push({ database, step: 'create-database', outcome: created.ok ? 'done' : 'exists' });
    const baseline = await run(database, ['setup-schema', '-v', '0.0']);
    if (!baseline.ok && !ALREADY.test(baseline.output)) fail('setup-schema', baseline.output);
    steps.push({ database, step: 'setup-schema', outcome: baseline.ok ? 'done' : 'exists' });
    const updated = await run(database, ['update-schema', '--schema-name', schema]);
    if (!updated.ok) fail('update-schema', updated.output);
    steps.push({ database, step: 'update-schema', outcome: 'done' });
    onProgress?.(`schema ${schema} ready in database ${database}`);
  }
  return steps;
}
