// What every command gets: the parsed global options, config and output layer.
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig, type LanesConfig } from '../config.js';
import type { ConnectionFlags } from '../connection/settings.js';
import { LanesError, toLanesError } from '../errors.js';
import { createOutput, type Output, type OutputFormat } from './output.js';

export interface GlobalOptions extends ConnectionFlags {
  outputFormat?: string;
  json?: boolean;
  address?: string;
  httpAddress?: string;
  namespace?: string;
  taskQueue?: string;
}

export interface CommandContext {
  out: Output;
  config: LanesConfig;
}

export function outputFormatOf(opts: GlobalOptions): OutputFormat {
  if (opts.json) return 'json';
  if (opts.outputFormat === undefined || opts.outputFormat === 'text') return 'text';
  if (opts.outputFormat === 'json') return 'json';
  throw new LanesError('usage', `--output-format must be text or json, got "${opts.outputFormat}"`, 'Use --output-format json (or --json).');
}

/**
 * Wraps a command action: builds the context, maps any error to the output
 * contract and the exit code (0 ok, 1 runtime failure, 2 usage/validation).
 * The action returns the exit code it wants (default 0).
 */
export function action<A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number | void>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    let out = createOutput(globals.json ? 'json' : globals.outputFormat === 'json' ? 'json' : 'text');
    try {
      out = createOutput(outputFormatOf(globals));
      const { address, httpAddress, namespace, taskQueue, tls, tlsCaPath, tlsCertPath, tlsKeyPath, tlsServerName, apiKey } = globals;
      const config = loadConfig({ address, httpAddress, namespace, taskQueue, tls, tlsCaPath, tlsCertPath, tlsKeyPath, tlsServerName, apiKey });
      const code = await fn({ out, config }, ...(args.slice(0, -1) as A));
      process.exitCode = code ?? 0;
    } catch (e) {
      const err = toLanesError(e);
      out.error(err);
      process.exitCode = err.exitCode;
    }
  };
}

/** Parses a positive integer option with a usage error naming the flag. */
export function intOption(flag: string, min = 0, max = 65_535) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be an integer between ${min} and ${max}.`);
    return n;
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses a duration option (`500ms`, `30s`, `5m`, `2h`, or plain milliseconds) with a usage error naming the flag. */
export function durationOption(flag: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
    const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']! : NaN;
    if (!Number.isFinite(ms) || ms <= 0 || ms > 30 * 86_400_000) throw new InvalidArgumentError(`${flag} must be a positive duration such as 30s, 5m, 2h or 1500 (ms), at most 30 days.`);
    return Math.round(ms);
  };
}
