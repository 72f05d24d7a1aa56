// Parses the --pg-url of `lanes server --persistence postgres`.
import { LanesError } from '../errors.js';

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Database for workflow state; visibility uses `<database>_visibility`. */
  database: string;
  visibilityDatabase: string;
}

const HINT = 'Use --pg-url postgres://USER:PASSWORD@HOST:PORT[/DATABASE] (DATABASE defaults to "temporal"; visibility uses DATABASE_visibility).';

export function parsePgUrl(raw: string): PgTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LanesError('usage', `--pg-url "${raw}" is not a URL`, HINT);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new LanesError('usage', `--pg-url must start with postgres:// (got ${url.protocol}//)`, HINT);
  }
  if (!url.hostname) throw new LanesError('usage', '--pg-url has no host', HINT);
  if (!url.username) throw new LanesError('usage', '--pg-url has no user', HINT);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'temporal';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new LanesError('usage', `--pg-url database "${database}" is not a plain identifier`, HINT);
  }
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    visibilityDatabase: `${database}_visibility`,
  };
}
