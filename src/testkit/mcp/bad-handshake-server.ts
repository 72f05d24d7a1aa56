// Fixture: a process that speaks something other than MCP on stdout. Stays alive.
//   --mode garbage         (default) answers every line with non-JSON text
//   --mode wrong-protocol  answers initialize with an unsupported protocol version
//   --mode broken-list     initializes correctly, then fails tools/list (a "partial" server)
import { createInterface } from 'node:readline';
import { argValue, recordSpawn } from './fixture-args.js';

recordSpawn();
const mode = argValue('--mode') ?? 'garbage';

const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (mode === 'garbage') {
    process.stdout.write('this is not json-rpc, hello!\n');
    return;
  }
  let request: { id?: unknown; method?: unknown };
  try {
    request = JSON.parse(line) as { id?: unknown; method?: unknown };
  } catch {
    return;
  }
  if (request.id === undefined) return; // notifications need no answer
  if (request.method === 'initialize') {
    const protocolVersion = mode === 'wrong-protocol' ? '1999-01-01' : '2025-06-18';
    send({
      jsonrpc: '2.0',
      id: request.id,
      result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'lanes-fixture-bad', version: '0.0.1' } },
    });
    return;
  }
  send({ jsonrpc: '2.0', id: request.id, error: { code: -32603, message: `${String(request.method)} is broken in this fixture` } });
});
setInterval(() => {}, 60_000);
