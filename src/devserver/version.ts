// The one place the Temporal CLI version is pinned (DESIGN.md §4).
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The server the pinned CLI embeds; `lanes server --persistence postgres` runs this version (docs/production.md). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
