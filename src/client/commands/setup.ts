// `lanes setup`: provision the Temporal CLI binary once (later calls are instant);
// `--production` also the Temporal server and its schema tool for `lanes server --persistence postgres`.
import type { Command } from 'commander';
import { findTemporalBinary, requireTemporalBinary } from '../../devserver/provision.js';
import { findServerBinaries, provisionServerBinaries, serverCacheDir } from '../../devserver/server-binaries.js';
import { TEMPORAL_CLI_VERSION, TEMPORAL_SERVER_VERSION } from '../../devserver/version.js';
import { action } from '../context.js';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(`Find or build the Temporal CLI v${TEMPORAL_CLI_VERSION} binary that runs the embedded dev server (--production: also the Temporal server v${TEMPORAL_SERVER_VERSION} and temporal-sql-tool)`)
    .option('--check', 'only look for the binaries; never build or download them')
    .option('--production', `also provision the Temporal server and sql tool v${TEMPORAL_SERVER_VERSION} (go install into the lanes cache; several minutes the first time)`)
    .action(
      action(async ({ out }, opts: { check?: boolean; production?: boolean }) => {
        if (opts.check) {
          const { binary, attempts } = await findTemporalBinary({ install: false });
          const production = opts.production ? findServerBinaries() : undefined;
          const productionFound = !production || (!!production.server && !!production.sqlTool);
          out.result({ found: !!binary && productionFound, binary: binary ?? null, attempts, ...(production ? { production: { ...production, cacheDir: serverCacheDir() } } : {}) }, () =>
            [
              binary ? `temporal ${binary.version ?? '?'} at ${binary.path} (${binary.source})` : 'no Temporal binary yet; run `lanes setup`',
              ...(production ? [productionFound ? `server ${production.server}, sql tool ${production.sqlTool}` : 'no Temporal server/sql tool yet; run `lanes setup --production`'] : []),
            ].join('\n'),
          );
          return binary && productionFound ? 0 : 1;
        }
        const binary = await requireTemporalBinary({ onProgress: (l) => out.info(l) });
        const production = opts.production ? await provisionServerBinaries({ onProgress: (l) => out.info(l) }) : undefined;
        out.result({ ...binary, ...(production ? { production } : {}) }, (b) =>
          `temporal ${b.version ?? '?'} at ${b.path} (${b.source})${production ? `\nTemporal server v${TEMPORAL_SERVER_VERSION} at ${production.server}\ntemporal-sql-tool at ${production.sqlTool}` : ''}`,
        );
      }),
    );
}
