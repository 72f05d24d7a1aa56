// `lanes mcp check`: run the MCP lifecycle once for a packet's (or a config
// file's) servers — validate, start, discover — print the report, stop them all.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkMcpServers, DEFAULT_CHECK_DEADLINE_MS, requiredFailures } from '../../mcp/check.js';
import type { McpReport } from '../../mcp/report.js';
import { loadMcpServersFile } from '../../mcp/servers-file.js';
import { action, intOption } from '../context.js';

export function registerMcpCommands(program: Command): void {
  const mcp = program.command('mcp').description('MCP servers: check that the servers of a packet or config file start');
  mcp
    .command('check')
    .description(
      'Start every MCP server of a task packet (mcp.servers) or a config file ({ "servers": { ... } }), JSON or YAML, ' +
        'print the report and stop them all again; exit 1 when a required server failed, 2 when the file or a server entry is invalid. ' +
        'Each server has its startupTimeoutMs; the whole check ends by --deadline-ms, always with a report',
    )
    .argument('<file>', 'task packet or MCP config file')
    .option('--cwd <dir>', "working directory for stdio servers (default: a packet's repo.path, else the current directory)")
    .option('--deadline-ms <ms>', 'overall deadline: servers still starting then are reported failed and killed (each server also has its own startupTimeoutMs)', intOption('--deadline-ms', 1_000, 3_600_000), DEFAULT_CHECK_DEADLINE_MS)
    .action(
      action(async ({ out }, file: string, opts: { cwd?: string; deadlineMs: number }) => {
        const source = await loadMcpServersFile(file);
        const cwd = opts.cwd !== undefined ? resolve(opts.cwd) : source.repoPath !== undefined && existsSync(source.repoPath) ? source.repoPath : process.cwd();
        out.info(`checking ${Object.keys(source.servers).length} MCP server(s) from ${file} (${source.kind}) in ${cwd}...`);
        const report = await checkMcpServers(source.servers, { cwd, deadlineMs: opts.deadlineMs });
        const required = requiredFailures(report, source.servers);
        out.result(report, (r: McpReport) => renderMcpReport(r, required));
        // An invalid entry is an invalid file (exit 2), whether or not the server is required.
        if (report.failed.some((f) => f.failure_mode === 'config')) return 2;
        return required.length > 0 ? 1 : 0;
      }),
    );
}

/** The text rendering of a report; `required` names the failed servers marked required. */
export function renderMcpReport(report: McpReport, required: readonly string[] = []): string {
  const total = report.healthy.length + report.failed.length;
  if (total === 0) return 'no MCP servers configured';
  const lines = [`MCP servers: ${report.healthy.length} healthy, ${report.failed.length} failed${report.degraded ? ' (degraded)' : ''}`];
  for (const h of report.healthy) {
    lines.push(`  ok      ${h.name}: ${h.serverInfo.name} ${h.serverInfo.version}, ${h.tools.length} tool(s), ${h.resources.length} resource(s)`);
    if (h.tools.length > 0) lines.push(`          tools: ${h.tools.map((t) => `mcp__${h.name}__${t.name}`).join(', ')}`);
  }
  for (const f of report.failed) {
    const flags = [f.class, f.recoverable ? 'recoverable' : 'not recoverable', `${f.attempts} attempt(s)`, ...(required.includes(f.name) ? ['required'] : [])];
    lines.push(`  FAILED  ${f.name}: ${f.failure_mode} (${flags.join(', ')})`);
    lines.push(...f.message.split('\n').map((l) => `          ${l}`));
    lines.push(`          fix: ${f.recommendation}`);
  }
  lines.push(
    required.length > 0
      ? `required server(s) failed: ${required.join(', ')} — a lane with these servers would block`
      : report.degraded
        ? 'no required server failed — a lane would run degraded with the healthy servers'
        : 'all servers healthy',
  );
  return lines.join('\n');
}
