// Fixture: a well-behaved MCP stdio server with tools `echo`, `add`, `fail`
// (returns isError) and `sleep` (answers late), and one resource.
// `--call-log <file>` appends one line per tool call, so tests can prove a call
// was not repeated. `--stubborn` ignores SIGTERM and stdin EOF (only SIGKILL
// ends it), like a server orphaned by a crashed worker that never notices.
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { argValue, hasFlag, recordSpawn } from './fixture-args.js';

recordSpawn();
if (hasFlag('--stubborn')) {
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 60_000);
}
const callLog = argValue('--call-log');
const logCall = (tool: string) => {
  if (callLog) appendFileSync(callLog, `${tool}\n`);
};

const server = new McpServer({ name: 'lanes-fixture-echo', version: '1.0.0' });
server.registerTool(
  'echo',
  { description: 'Returns the message unchanged', inputSchema: { message: z.string() } },
  ({ message }) => {
    logCall('echo');
    return { content: [{ type: 'text', text: message }] };
  },
);
server.registerTool(
  'add',
  { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
  ({ a, b }) => {
    logCall('add');
    return { content: [{ type: 'text', text: String(a + b) }] };
  },
);
server.registerTool('fail', { description: 'Always reports a tool error', inputSchema: { reason: z.string() } }, ({ reason }) => {
  logCall('fail');
  return { isError: true, content: [{ type: 'text', text: `failed on purpose: ${reason}` }] };
});
server.registerTool('sleep', { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().min(0) } }, async ({ ms }) => {
  logCall('sleep');
  await new Promise((r) => setTimeout(r, ms));
  return { content: [{ type: 'text', text: `slept ${ms} ms` }] };
});
server.registerResource('greeting', 'fixture://greeting', { description: 'A static greeting' }, (uri) => ({
  contents: [{ uri: uri.href, text: 'hello from the echo fixture' }],
}));

await server.connect(new StdioServerTransport());
