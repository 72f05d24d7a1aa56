// Assembles the `lanes` CLI from the command groups; no command logic here.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { registerChaosCommands } from './commands/chaos.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerDrillCommands } from './commands/drill.js';
import { registerLaneCommands } from './commands/lane.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerMcpCommands } from './commands/mcp.js';
import { registerOpenCommand } from './commands/open.js';
import { registerPacketCommands } from './commands/packet.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerRunCommands } from './commands/run.js';
import { registerCleanCommand } from './commands/clean.js';
import { registerBoardCommand } from './commands/board.js';
import { registerServerCommand } from './commands/server.js';
import { registerSetupCommand } from './commands/setup.js';
import { registerUpCommand } from './commands/up.js';
import { registerWorkerCommand } from './commands/worker.js';
import type { OutputFormat } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(format: OutputFormat): Command {
  const program = new Command('lanes')
    .description('Durable runner for AI coding work on Temporal')
    .version(pkg.version, '-V, --version')
    .addOption(new Option('--output-format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --output-format json')
    .option('--address <host:port>', 'Temporal frontend address (env TEMPORAL_ADDRESS, default localhost:7233)')
    .option('--namespace <ns>', 'Temporal namespace (env TEMPORAL_NAMESPACE, default "default")')
    .option('--task-queue <name>', 'Lanes task queue (env LANES_TASK_QUEUE, default "lanes")')
    .option('--tls', 'connect to Temporal over TLS (env TEMPORAL_TLS; implied by any --tls-* option or an API key)')
    .option('--no-tls', 'force plaintext even with an API key')
    .option('--tls-ca-path <file>', 'CA certificate (PEM) that signed the server certificate (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)')
    .option('--tls-cert-path <file>', 'client certificate (PEM) for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)')
    .option('--tls-key-path <file>', 'private key (PEM) of the client certificate (env TEMPORAL_TLS_CLIENT_KEY_PATH)')
    .option('--tls-server-name <name>', 'server name to verify instead of the address host (env TEMPORAL_TLS_SERVER_NAME)')
    .option('--api-key <key>', 'Temporal API key, sent as a bearer token; prefer env TEMPORAL_API_KEY (argv is visible to other users)')
    .showHelpAfterError(format === 'text' ? '(run with --help for usage)' : false)
    .exitOverride()
    .configureOutput({
      // In JSON mode usage errors are printed by index.ts as {error:{...}} on stdout.
      writeErr: (s) => {
        if (format === 'text') process.stderr.write(s);
      },
      outputError: (s, write) => {
        if (format === 'text') write(s);
      },
    });
  registerSetupCommand(program);
  registerServerCommand(program);
  registerWorkerCommand(program);
  registerUpCommand(program);
  registerDoctorCommand(program);
  registerDemoCommand(program);
  registerLaneCommands(program);
  registerOpenCommand(program);
  registerPacketCommands(program);
  registerPlanCommands(program);
  registerRunCommands(program);
  registerCleanCommand(program);
  registerBoardCommand(program);
  registerChaosCommands(program);
  registerDrillCommands(program);
  registerMcpCommands(program);
  registerLogsCommand(program);
  // Last: it reads the finished command tree.
  registerCompletionCommand(program);
  return program;
}
