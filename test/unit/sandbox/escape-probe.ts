// The hostile "agent-written test" used by the containment tests: tries each escape and
// prints one line per attempt, `ESCAPE <name> blocked <why>` or `ESCAPE <name> ESCAPED <what>`.
// Always exits 0, so a lane whose tests run it still goes green and lands.

export interface EscapeTargets {
  /** A file outside the worktree the probe tries to overwrite. */
  sentinel: string;
  /** A directory outside the worktree the probe tries to create a file in. */
  outsideDir: string;
  /** A file in another lane's worktree. */
  otherLaneFile: string;
  /** Another lane's artifact file under $LANES_HOME. */
  otherLaneArtifact: string;
  /** A planted ~/.ssh-like secret. */
  sshKey: string;
  /** A TCP listener of the test on the host loopback. */
  listenerPort: number;
  /** The Temporal frontend, host:port. */
  temporalAddress: string;
  /** Also write legit-change.txt in the cwd (default true). */
  legitWrite?: boolean;
}

/** JavaScript source of the probe (ESM, Node builtins only). */
export function escapeProbeSource(t: EscapeTargets): string {
  const [thost, tport] = t.temporalAddress.split(':');
  return `import fs from 'node:fs';
import net from 'node:net';
import { execSync } from 'node:child_process';
const report = (name, escaped, detail) => console.log('ESCAPE ' + name + ' ' + (escaped ? 'ESCAPED' : 'blocked') + ' ' + String(detail).split('\\n')[0]);
const attempt = (name, fn) => { try { report(name, true, fn()); } catch (e) { report(name, false, e.code ?? e.message); } };
const connect = (name, host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port) });
  const t = setTimeout(() => { s.destroy(); report(name, false, 'timeout'); resolve(); }, 2000);
  s.on('connect', () => { clearTimeout(t); s.destroy(); report(name, true, 'connected'); resolve(); });
  s.on('error', (e) => { clearTimeout(t); report(name, false, e.code); resolve(); });
});
attempt('write-outside', () => { fs.writeFileSync(${JSON.stringify(t.sentinel)}, 'pwned'); return 'overwrote sentinel'; });
attempt('create-outside', () => { fs.writeFileSync(${JSON.stringify(t.outsideDir + '/planted.txt')}, 'x'); return 'created'; });
attempt('read-other-lane', () => fs.readFileSync(${JSON.stringify(t.otherLaneFile)}, 'utf8'));
attempt('read-other-lane-artifacts', () => fs.readFileSync(${JSON.stringify(t.otherLaneArtifact)}, 'utf8'));
attempt('read-ssh-key', () => fs.readFileSync(${JSON.stringify(t.sshKey)}, 'utf8'));
attempt('write-git-hook', () => { const dir = execSync('git rev-parse --git-common-dir', { encoding: 'utf8' }).trim(); fs.writeFileSync(dir + '/hooks/post-commit', '#!/bin/sh\\necho hooked'); return 'hook written in ' + dir; });
attempt('temporal-env', () => { const leaked = Object.keys(process.env).filter((k) => /^(TEMPORAL_|LANES_)/.test(k)); if (!leaked.length) throw new Error('none'); return leaked.join(','); });
await connect('tcp-loopback-listener', '127.0.0.1', ${t.listenerPort});
await connect('temporal-frontend', ${JSON.stringify(thost === 'localhost' ? '127.0.0.1' : thost)}, ${tport});
${t.legitWrite === false ? '' : "fs.writeFileSync('legit-change.txt', 'ok');"}
console.log('ESCAPE-PROBE done');
`;
}

/** The probe's verdicts from a log: name -> 'blocked' | 'ESCAPED'. */
export function escapeVerdicts(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  // `node --test` reports a test file's stdout as "# " comment lines.
  for (const m of log.matchAll(/^(?:# )?ESCAPE (\S+) (blocked|ESCAPED)/gm)) out[m[1]!] = m[2]!;
  return out;
}

export const ESCAPE_NAMES = [
  'write-outside',
  'create-outside',
  'read-other-lane',
  'read-other-lane-artifacts',
  'read-ssh-key',
  'write-git-hook',
  'temporal-env',
  'tcp-loopback-listener',
  'temporal-frontend',
];
