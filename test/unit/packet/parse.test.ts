import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { LanesError } from '../../../src/errors.js';
import { formatPacketIssues, loadPacketFile, parsePacket, validatePacket } from '../../../src/packet/parse.js';
import { TaskPacketSchema, type TaskPacket } from '../../../src/packet/schema.js';

const examples = join(import.meta.dirname, '../../../examples');
const scratch = mkdtempSync(join(tmpdir(), 'lanes-packet-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const base = {
  objective: 'Fix the bug',
  repo: { path: '/repos/app' },
  acceptance: { targeted: ['npm test'] },
  agent: { provider: 'scripted', model: 'scripted', script: [{ text: 'done' }] },
};

function packetJson(patch: Record<string, unknown> = {}, drop: string[] = []): string {
  const value: Record<string, unknown> = { ...base, ...patch };
  for (const key of drop) delete value[key];
  return JSON.stringify(value, null, 2);
}

/** Parses text that must be refused; returns the LanesError and proves no packet came back. */
function refusal(text: string, source = 'p.json'): LanesError {
  let returned: TaskPacket | undefined;
  try {
    returned = parsePacket(text, { source });
  } catch (err) {
    expect(returned).toBeUndefined();
    expect(err).toBeInstanceOf(LanesError);
    const lanesError = err as LanesError;
    expect(lanesError.code).toBe('validation');
    expect(lanesError.exitCode).toBe(2);
    expect(lanesError.hint).toMatch(/\S/);
    return lanesError;
  }
  throw new Error(`expected the packet to be refused, but it parsed: ${JSON.stringify(returned)}`);
}

describe('packet/parse', () => {
  it('parses examples/minimal.yaml with defaults applied', async () => {
    const { packet, raw, text } = await loadPacketFile(join(examples, 'minimal.yaml'));
    expect(text).toContain('objective:');
    expect(raw).toMatchObject({ agent: { provider: 'scripted' } });
    expect(packet.agent.provider).toBe('scripted');
    expect(packet.agent.script?.length).toBeGreaterThan(0);
    expect(packet.acceptance.targeted).toEqual([{ run: 'test -f GREETING', name: 'test -f GREETING' }]);
    expect(packet.acceptance.requiredLevel).toBe('targeted');
    expect(packet.merge).toEqual({ target: 'main', mode: 'merge', requireReview: false, retestCandidate: 'when-changed' });
    expect(packet.escalation.recoveryAttempts).toBe(1);
    expect(packet).not.toHaveProperty('id');
  });

  it('parses examples/full.json with every field kept as written', async () => {
    const { packet, raw } = await loadPacketFile(join(examples, 'full.json'));
    // Every key the example writes, at every depth, survives parsing (commands are normalized, so compare those apart).
    const { acceptance: rawAcceptance, ...rawRest } = raw as Record<string, unknown>;
    const { acceptance, ...rest } = packet;
    expect(rest).toEqual(rawRest);
    expect(acceptance.package).toEqual([{ run: 'npm test --workspace packages/auth', name: 'auth package tests', timeoutMs: 300_000 }]);
    expect(acceptance.mergeReady).toEqual([{ run: 'npm run build && npm test', name: 'npm run build && npm test' }]);
    expect(acceptance.requiredLevel).toBe((rawAcceptance as { requiredLevel: string }).requiredLevel);
    // full.json writes every top-level field the schema knows.
    expect(Object.keys(raw as object).sort()).toEqual(Object.keys(TaskPacketSchema.in.shape).sort());
  });

  it.each([
    ['source extension .json', '{"objective": "x"', { source: 'a.json' }, /invalid JSON/],
    ['source extension .yml', 'objective: [x', { source: 'a.yml' }, /invalid YAML/],
    ['explicit format overriding the extension', 'objective: [x', { source: 'a.json', format: 'yaml' as const }, /invalid YAML/],
    ['no hint: broken JSON-looking text', '{"objective": "x", "repo": {', {}, /invalid JSON at line 1, column 29/],
    ['no hint: broken YAML text', 'objective: "x\n', {}, /invalid YAML/],
  ])('picks the decoder from %s', (_label, text, opts, expected) => {
    expect(() => parsePacket(text, opts)).toThrow(expected);
  });

  it('reads YAML when no format is given and the text is not JSON', () => {
    const packet = parsePacket(toYaml(base));
    expect(packet.objective).toBe('Fix the bug');
  });

  it('reads a YAML flow mapping that is not JSON without calling it broken JSON', () => {
    const packet = parsePacket(`{objective: Fix it, repo: {path: /r}, acceptance: {requiredLevel: none}, agent: {provider: scripted, model: s, script: []}}`);
    expect(packet.objective).toBe('Fix it');
  });

  it.each([
    ['an unknown top-level key', packetJson({ extras: 1 }), ['p.json: extras: unknown key; allowed: id, objective, scope, repo, branch, acceptance, commit, merge, agent, mcp, budget, report, escalation']],
    ['an unknown nested key', packetJson({ scope: { kind: 'module', globs: ['x'] } }), ['p.json: scope.globs: unknown key; allowed: kind, paths, writeManifest']],
    ['an unknown key in a command object', packetJson({ acceptance: { targeted: [{ run: 'x', cwd: '/' }] } }), ['p.json: acceptance.targeted[0].cwd: unknown key; allowed: run, name, timeoutMs']],
    ['a bad enum value', packetJson({ merge: { mode: 'rebase' } }), ['p.json: merge.mode: "rebase" is not an allowed value; allowed: merge, squash, ff_only, none']],
    ['a bad retestCandidate', packetJson({ merge: { retestCandidate: 'never' } }), ['p.json: merge.retestCandidate: "never" is not an allowed value; allowed: when-changed, always']],
    ['a missing objective', packetJson({}, ['objective']), ['p.json: objective: required; allowed: string']],
    ['a missing enum field', packetJson({ agent: { model: 'm' } }), ['p.json: agent.provider: required; allowed: anthropic, openai, scripted']],
    ['a wrong type', packetJson({ agent: { provider: 'scripted', model: 'm', script: [], maxTurns: 'ten' } }), ['p.json: agent.maxTurns: wrong type: got string "ten"; allowed: number']],
    ['a non-integer', packetJson({ budget: { tokens: 1.5 } }), ['p.json: budget.tokens: wrong type: got number 1.5; allowed: integer']],
    ['a number out of range', packetJson({ escalation: { recoveryAttempts: 9 } }), ['p.json: escalation.recoveryAttempts: 9 is out of range; allowed: a number <= 5']],
    ['an object where an array belongs', packetJson({ scope: { paths: 'src' } }), ['p.json: scope.paths: wrong type: got string "src"; allowed: array']],
    ['repo with both path and url', packetJson({ repo: { path: '/a', url: 'https://x/y.git' } }), ['p.json: repo: both path and url are set; allowed: exactly one of repo.path (local repository) or repo.url (clone URL)']],
    ['repo with neither path nor url', packetJson({ repo: {} }), ['p.json: repo: neither path nor url is set; allowed:']],
    ['scripted provider without script', packetJson({ agent: { provider: 'scripted', model: 'm' } }), ["p.json: agent.script: provider 'scripted' needs a script; allowed:"]],
    ['a script for a real provider', packetJson({ agent: { provider: 'anthropic', model: 'm', script: [] } }), ["p.json: agent.script: a script is only used by provider 'scripted', not 'anthropic'"]],
    ['a bad webhook URL', packetJson({ report: { webhook: 'ftp://hooks.example.com' } }), ['p.json: report.webhook: "ftp://hooks.example.com" is not a valid http(s) URL; allowed: an http:// or https:// URL']],
    ['a webhook that is not a URL', packetJson({ report: { webhook: 'not a url' } }), ['p.json: report.webhook: "not a url" is not a valid http(s) URL']],
    ['an empty objective', packetJson({ objective: ' ' }), ['p.json: objective: must not be empty; allowed: a non-empty string']],
    ['a command of the wrong type', packetJson({ acceptance: { targeted: [42] } }), ['p.json: acceptance.targeted[0]: wrong type: got number 42; allowed: string or object']],
    ['an invalid branch name', packetJson({ branch: { name: 'lanes/a..b' } }), ['p.json: branch.name: "lanes/a..b" is not a valid git branch name: it contains ".."; allowed:']],
    ['a bad MCP server name', packetJson({ mcp: { servers: { 'my server': {} } } }), ['p.json: mcp.servers["my server"]: key "my server" does not match the required pattern; allowed: strings matching /^[A-Za-z0-9_-]{1,64}$/']],
    ['an MCP entry that is not an object', packetJson({ mcp: { servers: { fs: 'npx fs' } } }), ['p.json: mcp.servers.fs: wrong type: got string "npx fs"; allowed: object']],
    ['a bad id', packetJson({ id: '../etc' }), ['p.json: id: "../etc" must start with a letter or digit and hold at most 64 letters, digits, ".", "_" or "-"; allowed: letters, digits']],
    // Ids the old pattern accepted but git refuses as part of lanes/<id> (issue #10).
    ['an id with ".."', packetJson({ id: 'a..b' }), ['p.json: id: "a..b" cannot name the git branch lanes/a..b: it contains ".."; allowed:']],
    ['an id ending in ".lock"', packetJson({ id: 'x.lock' }), ['p.json: id: "x.lock" cannot name the git branch lanes/x.lock: it has a path component ending with ".lock" ("x.lock"); allowed:']],
    ['an id ending in "."', packetJson({ id: 'x.' }), ['p.json: id: "x." cannot name the git branch lanes/x.: it ends with "."; allowed:']],
    ['an id ending in ".candidate"', packetJson({ id: 'x.candidate' }), ['p.json: id: "x.candidate" ends with ".candidate", which names a lane\'s merge candidate; allowed:']],
    ['a required level with no commands', packetJson({ acceptance: {} }), ['p.json: acceptance.requiredLevel: requires green level "merge_ready" but no acceptance command is defined; allowed:']],
    ['a top-level array', '[1, 2]', ['p.json: (root): wrong type: got array; allowed: object']],
  ])('refuses %s, naming the field path', (_label, text, expectedLines) => {
    const err = refusal(text);
    for (const line of expectedLines) expect(err.message).toContain(line);
    // One problem, one line: nothing else is reported for a single mistake.
    expect(err.message.split('\n')).toHaveLength(expectedLines.length);
  });

  it('lists every problem on its own line, each starting with the source', () => {
    const text = packetJson({ extras: 1, scope: { kind: 'galaxy', bogus: 1 }, report: { webhook: 'nope' } }, ['objective']);
    const lines = refusal(text, 'packets/bad.json').message.split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^packets\/bad\.json: \S+: .+; allowed: .+$/);
    const paths = lines.map((l) => l.split(': ')[1]).sort();
    expect(paths).toEqual(['extras', 'objective', 'report.webhook', 'scope.bogus', 'scope.kind']);
  });

  it('names every unknown key of one object on separate lines', () => {
    const lines = refusal(packetJson({ budget: { tokens: 5, dollars: 1, hours: 2 } })).message.split('\n');
    expect(lines).toEqual([
      'p.json: budget.dollars: unknown key; allowed: tokens, costUsd, wallTimeMs, mode',
      'p.json: budget.hours: unknown key; allowed: tokens, costUsd, wallTimeMs, mode',
    ]);
  });

  it('names line and column of a YAML syntax error', () => {
    const text = 'objective: Fix it\nrepo:\n  path: /r\nacceptance:\n  targeted: [npm test\nagent: {}\n';
    const err = refusal(text, 'bad.yaml');
    expect(err.message).toMatch(/^bad\.yaml: invalid YAML at line \d+, column \d+: /);
    expect(err.message).toContain('line 6');
    // The one-line reason, not the multi-line code frame.
    expect(err.message).not.toContain('^');
    expect(err.message).not.toMatch(/\s$/);
  });

  it('names line and column of a JSON syntax error', () => {
    const err = refusal('{\n  "objective": "x",\n  "repo": oops\n}', 'bad.json');
    expect(err.message).toMatch(/^bad\.json: invalid JSON at line 3, column 11: /);
  });

  it('refuses duplicate YAML keys instead of letting the last one win', () => {
    const err = refusal(`${toYaml(base)}objective: Something else\n`, 'dup.yaml');
    expect(err.message).toMatch(/dup\.yaml: invalid YAML at line \d+, column \d+: Map keys must be unique/);
  });

  it('reads a packet file with a UTF-8 byte-order mark the same in JSON and YAML', async () => {
    const bom = '\uFEFF';
    const jsonFile = join(scratch, 'bom.json');
    const yamlFile = join(scratch, 'bom.yaml');
    writeFileSync(jsonFile, bom + packetJson());
    writeFileSync(yamlFile, bom + toYaml(base));
    const fromJson = (await loadPacketFile(jsonFile)).packet;
    const fromYaml = (await loadPacketFile(yamlFile)).packet;
    expect(fromJson).toEqual(fromYaml);
    // Must NOT: the mark leaks into a value, or a BOM-only file passes as a packet.
    expect(fromJson.objective).toBe('Fix the bug');
    expect(refusal(bom, 'bom-only.json').message).toContain('the packet is empty');
  });

  it('refuses an empty packet', () => {
    expect(refusal('  \n', 'empty.yaml').message).toContain('empty.yaml: the packet is empty');
  });

  it('refuses a missing file with a validation error that says so', async () => {
    const path = join(scratch, 'nope.yaml');
    const attempt = loadPacketFile(path);
    await expect(attempt).rejects.toBeInstanceOf(LanesError);
    await expect(attempt).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining(`${path}: packet file does not exist`) });
  });

  it('refuses a directory passed as a packet file', async () => {
    await expect(loadPacketFile(scratch)).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('is a directory') });
  });

  it('names the file path in problems found in a loaded file', async () => {
    const path = join(scratch, 'bad.yml');
    writeFileSync(path, toYaml({ ...base, merge: { mode: 'octopus' } }));
    await expect(loadPacketFile(path)).rejects.toMatchObject({ message: `${path}: merge.mode: "octopus" is not an allowed value; allowed: merge, squash, ff_only, none` });
  });

  it('validates an already-decoded value the same way', () => {
    expect(validatePacket(base).objective).toBe('Fix the bug');
    expect(() => validatePacket({ ...base, objective: 3 }, 'api')).toThrow('api: objective: wrong type: got number 3; allowed: string');
  });

  it('formats issues from a parse made without reportInput, still spotting missing fields', () => {
    const result = TaskPacketSchema.safeParse({ objective: 'x' });
    expect(result.success).toBe(false);
    const lines = formatPacketIssues(result.error!.issues, 'x.json');
    expect(lines).toContain('x.json: repo: required; allowed: object');
    expect(lines).toContain('x.json: agent: required; allowed: object');
  });
});
