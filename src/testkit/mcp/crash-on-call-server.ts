// Fixture: initializes normally, then the process exits(1) inside a tool call.
//   --marker <file>  crash only while <file> does not exist (it is created just
//                    before crashing), so the restarted process answers normally.
//   --always         crash on every call.
// Without either flag it behaves like --always. No resources (capability absent).
import { existsSync, writeFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { argValue, hasFlag, recordSpawn } from './fixture-args.js';

recordSpawn();
const marker = hasFlag('--always') ? undefined : (argValue('--marker') ?? process.env.CRASH_MARKER);

const server = new McpServer({ name: 'lanes-fixture-crash-on-call', version: '1.0.0' });
const crash = (): never => {
  process.stderr.write(`crash-on-call fixture ${process.pid}: exiting on purpose\n`);
  process.exit(1);
};

server.registerTool('echo', { description: 'Echoes, unless this is the crashing call', inputSchema: { message: z.string() } }, ({ message }) => {
  if (marker === undefined) crash();
  else if (!existsSync(marker)) {
    writeFileSync(marker, String(process.pid));
    crash();
  }
  return { content: [{ type: 'text', text: `survived: ${message}` }] };
});

await server.connect(new StdioServerTransport());
