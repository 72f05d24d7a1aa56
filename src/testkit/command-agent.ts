// A small coding agent for `agent.kind: command` lanes and tests: it reads the prompt on
// stdin, asks an Anthropic Messages endpoint (ANTHROPIC_BASE_URL, e.g. the mock model
// server) for turns, runs the tools it is asked for in the worktree (read_file,
// write_file, bash), and prints Claude Code's stream-json lines. Flags make it misbehave
// in the shapes Lanes must classify.
//
//   node dist/testkit/command-agent.js [--garbage] [--no-result] [--hang] [--env-report FILE]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

const TOOLS = [
  { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'write_file', description: 'Write a file', input_schema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] } },
  { name: 'bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
];

function print(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

// Async on purpose: a blocked event loop would miss the provider closing an idle keep-alive
// connection, and the next request would go out on the dead socket.
const execFileAsync = promisify(execFile);

async function runTool(name: string, input: Record<string, unknown>): Promise<{ content: string; isError: boolean }> {
  try {
    if (name === 'read_file') return { content: readFileSync(String(input.path), 'utf8'), isError: false };
    if (name === 'write_file') {
      writeFileSync(String(input.path), String(input.content));
      return { content: `wrote ${String(input.path)}`, isError: false };
    }
    if (name === 'bash') return { content: (await execFileAsync('/bin/sh', ['-c', String(input.command)], { encoding: 'utf8' })).stdout, isError: false };
    return { content: `unknown tool ${name}`, isError: true };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { content: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message, isError: true };
  }
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => argv.includes(name);
  const envReport = argv[argv.indexOf('--env-report') + 1];
  if (flag('--env-report') && envReport) writeFileSync(envReport, JSON.stringify(Object.keys(process.env).sort()));
  const sessionId = process.env.LANES_AGENT_SESSION_ID || 'command-agent-session';
  const model = process.env.LANES_AGENT_MODEL || 'claude-sonnet-4-5';
  const maxTurns = Number(process.env.LANES_AGENT_MAX_TURNS || 10);
  const prompt = readFileSync(0, 'utf8');
  print({ type: 'system', subtype: 'init', session_id: sessionId, model, resumed: process.env.LANES_AGENT_RESUME === '1' });
  if (flag('--garbage')) process.stdout.write('this line is not JSON\n');
  if (flag('--hang')) await new Promise(() => setInterval(() => undefined, 60_000));

  const base = process.env.ANTHROPIC_BASE_URL;
  const messages: { role: string; content: unknown }[] = [{ role: 'user', content: prompt }];
  const usage = { input_tokens: 0, output_tokens: 0 };
  let turns = 0;
  let last = '';
  while (base && turns < maxTurns) {
    turns += 1;
    const res = await fetch(`${base.replace(/\/$/, '')}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY ?? '', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model, max_tokens: 1024, messages, tools: TOOLS }),
    });
    if (!res.ok) {
      print({ type: 'result', subtype: 'error_during_execution', is_error: true, api_error_status: res.status, result: await res.text(), session_id: sessionId, usage });
      process.exit(1);
    }
    const reply = (await res.json()) as { id: string; content: Block[]; usage: { input_tokens: number; output_tokens: number } };
    usage.input_tokens += reply.usage.input_tokens;
    usage.output_tokens += reply.usage.output_tokens;
    print({ type: 'assistant', message: { id: reply.id, role: 'assistant', content: reply.content, usage: reply.usage }, session_id: sessionId });
    messages.push({ role: 'assistant', content: reply.content });
    const calls = reply.content.filter((b): b is Extract<Block, { type: 'tool_use' }> => b.type === 'tool_use');
    last = reply.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    if (calls.length === 0) break;
    const results: { type: string; tool_use_id: string; content: string; is_error: boolean }[] = [];
    for (const c of calls) {
      const { content, isError } = await runTool(c.name, c.input);
      results.push({ type: 'tool_result', tool_use_id: c.id, content, is_error: isError });
    }
    print({ type: 'user', message: { role: 'user', content: results }, session_id: sessionId });
    messages.push({ role: 'user', content: results });
  }
  if (flag('--no-result')) return;
  print({ type: 'result', subtype: 'success', is_error: false, result: last, num_turns: turns, session_id: sessionId, total_cost_usd: 0, usage });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`command-agent: ${(err as Error).message}\n`);
    process.exit(2);
  });
}
