// `lanes packet validate|schema`: check a packet without starting anything.
import type { Command } from 'commander';
import { packetJsonSchema } from '../../packet/json-schema.js';
import { loadPacketFile } from '../../packet/parse.js';
import { validateServers } from '../../mcp/config.js';
import { action } from '../context.js';

export function registerPacketCommands(program: Command): void {
  const packet = program.command('packet').description('Task packet tools: validate a packet, print its JSON Schema');
  packet
    .command('validate')
    .description('Validate a packet file (JSON or YAML) without starting anything; exit 2 with every problem listed')
    .argument('<file>', 'packet file')
    .action(
      action(async ({ out }, file: string) => {
        const { packet: p } = await loadPacketFile(file);
        // MCP entries are checked one by one at lane start (a bad one degrades the lane); warn here.
        const mcp = validateServers(p.mcp.servers);
        const warnings = [
          ...mcp.invalid.map((w) => `mcp.servers.${w.name}.${w.field}: ${w.message} (this server will be reported as a config failure)`),
        ];
        out.result(
          { valid: true, id: p.id ?? null, objective: p.objective, provider: p.agent.provider, warnings, mcpWarnings: mcp.invalid },
          (v) => [`${file}: valid packet${v.id ? ` (id ${v.id})` : ' (no id: one is generated at submit)'}`, ...v.warnings.map((w: string) => `warning: ${w}`)].join('\n'),
        );
      }),
    );
  packet
    .command('schema')
    .description('Print the JSON Schema of the task packet')
    .action(
      action(async ({ out }) => {
        out.result(packetJsonSchema(), (s) => JSON.stringify(s, null, 2));
      }),
    );
}
