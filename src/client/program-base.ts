// The `lanes` root command: name, version and the global options every command shares.
import { Command, Option } from 'commander';
import { LANES_VERSION } from '../package-info.js';
import type { OutputFormat } from './output.js';

/** Global options that take a value (the launcher skips them to find the command). */
export const GLOBAL_VALUE_OPTIONS = [
  '--output-format',
  '--address',
  '--http-address',
  '--namespace',
  '--task-queue',
  '--tls-ca-path',
  '--tls-cert-path',
  '--tls-key-path',
  '--tls-server-name',
  '--api-key',
] as const;

export function baseProgram(format: OutputFormat): Command {
  const program = new Command('lanes')
    .description('Durable runner for AI coding work on Temporal')
    .version(LANES_VERSION, '-V, --version')
    .addOption(new Option('--output-format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --output-format json')
    .option('--address <host:port>', 'Temporal frontend address (env TEMPORAL_ADDRESS, default localhost:7233)')
    .option('--http-address <host:port>', "the frontend's HTTP API, for the fast read path of status/events/list (env TEMPORAL_HTTP_ADDRESS; default: the one `lanes server`/`lanes up` recorded; none = gRPC only)")
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
  return program;
}
