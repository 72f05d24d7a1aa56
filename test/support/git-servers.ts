// Bare repositories served over real git transports on loopback, for the remote-repository
// tests: `git daemon` (git://, receive-pack enabled) and smart HTTP through `git http-backend`
// behind a tiny Node CGI bridge (http://), optionally behind HTTP Basic auth. file:// needs no server.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { once } from 'node:events';
import { execa } from 'execa';
import { GIT_IDENTITY_ENV } from '../../src/demo/fixture-repo.js';

export async function freePort(): Promise<number> {
  const s = createNetServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** A bare copy of `source` at `dest`, accepting pushes over http too. */
export async function bareCopy(source: string, dest: string): Promise<string> {
  await execa('git', ['clone', '-q', '--bare', source, dest], { env: GIT_IDENTITY_ENV });
  await execa('git', ['config', 'http.receivepack', 'true'], { cwd: dest });
  return dest;
}

async function waitReachable(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await execa('git', ['ls-remote', '--heads', url], { env: { GIT_TERMINAL_PROMPT: '0' } });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface GitServer {
  /** URL of `<name>` under the served root. */
  url(name: string): string;
  close(): Promise<void>;
}

/** `git daemon` serving every repository under `root`, pushes enabled. */
export async function startGitDaemon(root: string, probe: string): Promise<GitServer> {
  const port = await freePort();
  const proc: ChildProcess = spawn('git', ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], {
    stdio: 'ignore',
  });
  const server: GitServer = {
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
  };
  try {
    await waitReachable(server.url(probe));
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * Smart HTTP: each request runs `git http-backend` as a CGI program. With `auth`, every
 * request needs HTTP Basic credentials (the remote a credential helper answers for).
 */
export async function startHttpGitServer(root: string, probe: string, auth?: { user: string; password: string }): Promise<GitServer & { requests: { method: string; url: string; authorized: boolean }[] }> {
  const backendEnv = { ...process.env, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1' };
  const expected = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : null;
  const requests: { method: string; url: string; authorized: boolean }[] = [];
  const http: Server = createServer((req, res) => {
    const authorized = expected === null || req.headers.authorization === expected;
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorized });
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="lanes-test"' }).end();
      return;
    }
    const u = new URL(req.url ?? '/', 'http://localhost');
    const env: NodeJS.ProcessEnv = {
      ...backendEnv,
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
      ...(auth ? { REMOTE_USER: auth.user } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(cgi.stdin!);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout!.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = (http.address() as { port: number }).port;
  const server = {
    requests,
    url: (name: string) => `http://127.0.0.1:${port}/${name}`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
  if (!auth) await waitReachable(server.url(probe));
  return server;
}
