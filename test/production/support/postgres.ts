// A private PostgreSQL for the production suite: Debian's server binaries on a temp data
// directory and a free port. initdb refuses root, so as root it runs as the `postgres` user.
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TestPostgres {
  port: number;
  url: string;
  dataDir: string;
  /** Fast shutdown then start again on the same data (mid-lane outage). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** initdb/pg_ctl from PATH, /usr/local/bin, or Debian's /usr/lib/postgresql/<version>/bin. */
export function findPgBin(): string {
  const candidates = ['/usr/local/bin', '/usr/bin'];
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  const dir = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'postgres')));
  if (!dir) throw new Error('PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; install them with `apt-get install -y postgresql` (.ci/run does)');
  return dir;
}

export async function startTestPostgres(root: string, port: number): Promise<TestPostgres> {
  const bin = findPgBin();
  const dataDir = join(root, 'pgdata');
  const logFile = join(root, 'postgres.log');
  mkdirSync(dataDir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await execa('id', ['-u', 'postgres']);
    const { stdout: gid } = await execa('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout), Number(gid));
    chownSync(dataDir, Number(stdout), Number(gid));
  }
  const run = (cmd: string, args: string[]) =>
    asRoot ? execa('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : execa(join(bin, cmd), args);
  await run('initdb', ['-D', dataDir, '-U', 'temporal', '--auth=trust', '--no-sync']);
  const start = () => run('pg_ctl', ['-D', dataDir, '-o', `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', logFile, '-w', 'start']);
  await start();
  return {
    port,
    url: `postgres://temporal:temporal@127.0.0.1:${port}/temporal`,
    dataDir,
    async restart() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      await start();
    },
    async stop() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    },
  };
}
