// The one way out of a sandbox with a private loopback: an external agent must reach its
// model endpoint, and when that endpoint listens on the worker's loopback (a local gateway,
// a proxy, the test mock) nothing else on the host should be reachable. The worker listens on
// a Unix socket in the command's scratch dir (bound into the sandbox) and forwards each
// connection to the endpoint; inside the sandbox a small node process listens on the
// endpoint's own port of the private loopback and forwards to that socket, then runs the
// command. The base URL therefore stays the same inside and out, and the Temporal frontend,
// other lanes' servers and every other port stay unreachable.
import { rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface RelayTarget {
  host: string;
  port: number;
}

/** The loopback endpoint of a base URL (`http://127.0.0.1:PORT/...`), or undefined for any other. */
export function loopbackEndpoint(baseUrl: string | undefined): RelayTarget | undefined {
  if (!baseUrl) return undefined;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) return undefined;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

export interface ModelRelay {
  socketPath: string;
  close(): Promise<void>;
}

/** The worker's half: a Unix socket in `dir` forwarding every connection to `target`. */
export async function startModelRelay(dir: string, target: RelayTarget): Promise<ModelRelay> {
  const socketPath = join(dir, 'lanes-model.sock');
  const open = new Set<Socket>();
  const server: Server = createServer((inside) => {
    open.add(inside);
    inside.on('close', () => open.delete(inside));
    pipeBoth(inside, connect(target.port, target.host));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}

/**
 * The sandbox's half, run with `node -e`: argv = port, socket, shell, command. It listens on the
 * private loopback's port (IPv4, and IPv6 where the namespace has it), then runs the command with
 * its own stdio and exits with the command's status.
 */
const INSIDE = `
const net = require('node:net');
const { spawn } = require('node:child_process');
const [port, sock, sh, cmd] = process.argv.slice(1);
const relay = (c) => {
  const u = net.connect(sock);
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  c.on('close', () => u.destroy()); u.on('close', () => c.destroy());
};
net.createServer(relay).on('error', () => {}).listen(Number(port), '::1');
net.createServer(relay).listen(Number(port), '127.0.0.1', () => {
  const child = spawn(sh, ['-c', cmd], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (require('node:os').constants.signals[signal] ?? 1)));
});
`;

/** The shell command that runs `command` behind the sandbox's half of the relay. */
export function relayedCommand(target: RelayTarget, socketPath: string, shell: string, command: string): string {
  return [process.execPath, '-e', INSIDE, String(target.port), socketPath, shell, command].map(shellQuote).join(' ');
}

/** One shell word, single-quoted. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
