// The board's static files, all served from this machine: htmx and its SSE extension
// from node_modules (pinned in package.json), and the stylesheet below.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Asset {
  type: string;
  body: Buffer;
}

const STYLES = `
:root { --fg:#1d2430; --muted:#667085; --line:#d9dee7; --bg:#f7f8fa; --red:#b42318; --amber:#b54708; --blue:#1d4ed8; --green:#067647; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 16px 24px; max-width: 1680px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
header { display: flex; align-items: baseline; gap: 24px; flex-wrap: wrap; border-bottom: 1px solid var(--line); margin-bottom: 12px; }
h1 { font-size: 20px; margin: 8px 0; } h1 a { color: inherit; text-decoration: none; }
h2 { font-size: 16px; margin: 20px 0 8px; } h3 { font-size: 14px; margin: 14px 0 6px; }
a { color: var(--blue); }
.muted { color: var(--muted); font-size: 12px; }
.filters { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.filters input, .filters select, .filters button { font: inherit; padding: 2px 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num { white-space: nowrap; text-align: right; }
td.lane { white-space: nowrap; font-weight: 600; }
td.objective { max-width: 360px; }
td.action { max-width: 520px; }
td.host { font-size: 12px; word-break: break-all; max-width: 200px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--bg); border: 1px solid var(--line); white-space: nowrap; }
.state-blocked, .state-failed { color: #fff; background: var(--red); border-color: var(--red); }
.state-trust_required { color: #fff; background: var(--amber); border-color: var(--amber); }
.state-running, .state-prompt_accepted, .state-ready_for_prompt, .state-spawning { color: var(--blue); border-color: var(--blue); }
.state-finished { color: var(--green); border-color: var(--green); }
.state-failed { background: #7a271a; border-color: #7a271a; }
tr[data-state="blocked"] td, tr[data-state="trust_required"] td { background: #fffbfa; }
.blocker b { color: var(--red); }
.next { font-weight: 600; }
.error { color: var(--red); font-weight: 600; }
.ui-link { font-size: 11px; font-weight: 400; margin-left: 6px; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 8px; overflow: auto; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre.log { max-height: 420px; white-space: pre-wrap; }
pre.diff { max-height: 640px; }
pre.diff .add { color: var(--green); } pre.diff .del { color: var(--red); } pre.diff .hunk { color: var(--blue); } pre.diff .file { font-weight: 700; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
table.events td { font-size: 12px; }
tr.failed-event td { background: #fffbfa; }
.landed { color: var(--green); font-weight: 600; }
ul.run-lanes { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 12px; }
ul.run-lanes li { white-space: nowrap; }
.task-status { font-size: 12px; color: var(--muted); }
.task-landed, .task-reused { color: var(--green); } .task-failed { color: var(--red); font-weight: 600; } .task-running { color: var(--blue); }
b.cls { color: var(--red); font-size: 12px; }
tr[data-state="failed"] td, tr[data-state="cancelled"] td { background: #fffbfa; }
table.runs { margin-bottom: 8px; }
`;

function fromPackage(specifier: string): Buffer {
  return readFileSync(require.resolve(specifier));
}

let cache: Map<string, Asset> | undefined;

/** The assets by URL path (read once). */
export function boardAssets(): Map<string, Asset> {
  cache ??= new Map<string, Asset>([
    ['/assets/htmx.min.js', { type: 'text/javascript; charset=utf-8', body: fromPackage('htmx.org/dist/htmx.min.js') }],
    ['/assets/htmx-sse.js', { type: 'text/javascript; charset=utf-8', body: fromPackage('htmx-ext-sse/dist/sse.js') }],
    ['/assets/board.css', { type: 'text/css; charset=utf-8', body: Buffer.from(STYLES) }],
  ]);
  return cache;
}
