// Where a host keeps its mirror of a remote (packet `repo.url`), and which trusted roots a
// remote falls under. What a remote URL is lives in src/shared/repo-url.ts.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRemoteUrl } from '../shared/repo-url.js';

/** A name for the mirror folder: readable tail of the URL plus a hash of the whole URL. */
export function mirrorPathFor(home: string, url: string): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const tail = (url.replace(/\/+$/, '').split(/[/:]/).pop() ?? 'repo').replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo';
  return join(resolve(home), 'mirrors', `${tail}-${hash}.git`);
}

/** Whether `url` is trusted by `roots`: a URL root is a prefix at a `/` boundary; a file:// URL is judged by its path. */
export function urlUnderRoots(url: string, roots: readonly string[], pathUnderRoots: (path: string) => boolean): boolean {
  if (/^file:\/\//i.test(url)) {
    try {
      return pathUnderRoots(fileURLToPath(url));
    } catch {
      return false;
    }
  }
  return roots.some((r) => isRemoteUrl(r) && (url === r || url.startsWith(r.endsWith('/') || r.endsWith(':') ? r : `${r}/`)));
}
