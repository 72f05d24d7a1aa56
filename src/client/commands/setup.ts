// `lanes setup`: provision the Temporal CLI binary once (later calls are instant).
import type { Command } from 'commander';
import { findTemporalBinary, requireTemporalBinary } from '../../devserver/provision.js';
import { TEMPORAL_CLI_VERSION } from '../../devserver/version.js';
import { action } from '../context.js';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(`Find or build the Temporal CLI v${TEMPORAL_CLI_VERSION} binary that runs the embedded dev server`)
    .option('--check', 'only look for the binary; never build or download it')
    .action(
      action(async ({ out }, opts: { check?: boolean }) => {
        if (opts.check) {
          const { binary, attempts } = await findTemporalBinary({ install: false });
          out.result({ found: !!binary, binary: binary ?? null, attempts }, (v) =>
            v.found ? `temporal ${v.binary.version ?? '?'} at ${v.binary.path} (${v.binary.source})` : `no Temporal binary yet; run \`lanes setup\``,
          );
          return binary ? 0 : 1;
        }
        const binary = await requireTemporalBinary({ onProgress: (l) => out.info(l) });
        out.result(binary, (b) => `temporal ${b.version ?? '?'} at ${b.path} (${b.source})`);
      }),
    );
}
