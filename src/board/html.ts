// HTML building blocks shared by the board's pages: escaping, the page shell, formats.
// Every page is complete server-rendered HTML; htmx only swaps fresher fragments in.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatTokens(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1_000 ? `${(n / 1_000).toFixed(1)}k` : String(n);
}

export interface PageShell {
  title: string;
  body: string;
  /** Loads htmx and its SSE extension (the board); plain pages need no script. */
  live?: boolean;
  /** Seconds between reloads for browsers without JavaScript (live pages only). */
  noScriptRefreshS?: number;
}

export function page({ title, body, live, noScriptRefreshS }: PageShell): string {
  const scripts = live
    ? `<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/htmx-sse.js" defer></script>
${noScriptRefreshS ? `<noscript><meta http-equiv="refresh" content="${noScriptRefreshS}"></noscript>` : ''}`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/assets/board.css">
${scripts}
</head>
<body>
${body}
</body>
</html>
`;
}

/** A state badge; the class colours it (blocked red, awaiting amber, working blue...). */
export function stateBadge(state: string): string {
  return `<span class="state state-${esc(state.replace(/[^a-z_]/g, ''))}">${esc(state)}</span>`;
}

/** The lanes table's header, shared by the board and a run's page. */
export const LANES_HEAD = '<thead><tr><th>lane</th><th>objective</th><th>state</th><th>green</th><th>blocker · next action</th><th>elapsed</th><th>turns · tokens · cost</th><th>host</th></tr></thead>';
