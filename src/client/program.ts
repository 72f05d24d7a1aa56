// Assembles the whole `lanes` CLI from the command groups (every module loaded; the
// binary itself loads only the invoked command's module, see launch.ts). No command logic here.
import type { Command } from 'commander';
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
import { registerSteeringCommands } from './commands/steer.js';
import { registerUpCommand } from './commands/up.js';
import { registerWorkerCommand } from './commands/worker.js';
import type { OutputFormat } from './output.js';
import { baseProgram } from './program-base.js';

export function buildProgram(format: OutputFormat): Command {
  const program = baseProgram(format);
  registerSetupCommand(program);
  registerServerCommand(program);
  registerWorkerCommand(program);
  registerUpCommand(program);
  registerDoctorCommand(program);
  registerDemoCommand(program);
  registerLaneCommands(program);
  registerSteeringCommands(program);
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
