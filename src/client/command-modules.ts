// The command modules of the `lanes` CLI, loaded on demand, in help order. The
// binary imports only the module of the command it runs (launch.ts): the
// Temporal SDKs, provider SDKs and the worker stay unloaded for `--help`.
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const COMMAND_MODULES: Record<string, () => Promise<Register>> = {
  setup: async () => (await import('./commands/setup.js')).registerSetupCommand,
  server: async () => (await import('./commands/server.js')).registerServerCommand,
  worker: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  up: async () => (await import('./commands/up.js')).registerUpCommand,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
  demo: async () => (await import('./commands/demo.js')).registerDemoCommand,
  lane: async () => (await import('./commands/lane.js')).registerLaneCommands,
  steer: async () => (await import('./commands/steer.js')).registerSteeringCommands,
  open: async () => (await import('./commands/open.js')).registerOpenCommand,
  packet: async () => (await import('./commands/packet.js')).registerPacketCommands,
  plan: async () => (await import('./commands/plan.js')).registerPlanCommands,
  run: async () => (await import('./commands/run.js')).registerRunCommands,
  clean: async () => (await import('./commands/clean.js')).registerCleanCommand,
  board: async () => (await import('./commands/board.js')).registerBoardCommand,
  chaos: async () => (await import('./commands/chaos.js')).registerChaosCommands,
  drill: async () => (await import('./commands/drill.js')).registerDrillCommands,
  mcp: async () => (await import('./commands/mcp.js')).registerMcpCommands,
  logs: async () => (await import('./commands/logs.js')).registerLogsCommand,
  // Last: it reads the finished command tree.
  completion: async () => (await import('./commands/completion.js')).registerCompletionCommand,
};

/** Commands that read the whole command tree: every module is loaded for them. */
export const WHOLE_TREE_COMMANDS: ReadonlySet<string> = new Set(['completion']);

/** One top-level command as the build recorded it (dist/client/cli-manifest.json). */
export interface ManifestEntry {
  module: string;
  name: string;
  description: string;
}
