// Remote repository URLs (packet `repo.url`): which strings are remotes, which are acceptable
// (no credentials: they come from the host's git config), and how a URL is written into text
// (events, errors, reports) without its userinfo. Pure string code: the packet schema, and so
// the workflow bundle, use it.

/** `scheme://…` (https, http, ssh, git, file) or scp-like `user@host:path`. */
const SCHEME_URL = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i;
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)/;
const SCHEMES = new Set(['https', 'http', 'ssh', 'git', 'file']);

export function isRemoteUrl(repo: string): boolean {
  return SCHEME_URL.test(repo) || SCP_LIKE.test(repo);
}

/** Userinfo in any `scheme://user[:secret]@` of `text` becomes `***@`. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi, '$1***@');
}

/** Why `url` cannot be a lane's remote, or null when it can. */
export function remoteUrlProblem(url: string): string | null {
  if (SCP_LIKE.test(url)) return null;
  const m = SCHEME_URL.exec(url);
  if (!m) return 'is not a clone URL (https://, http://, ssh://, git://, file:// or user@host:path)';
  const scheme = m[1]!.toLowerCase();
  if (!SCHEMES.has(scheme)) return `uses scheme "${scheme}"; allowed: https, http, ssh, git, file`;
  if (/^\s|\s$/.test(url) || /[\s\0]/.test(url)) return 'contains whitespace';
  const authority = m[2]!.split('/')[0]!;
  if (authority.includes('@')) {
    const userinfo = authority.slice(0, authority.lastIndexOf('@'));
    // A password (or an http token posing as the user name) would be recorded with the packet.
    if (userinfo.includes(':') || scheme === 'https' || scheme === 'http') return 'carries credentials in the URL';
  }
  if (scheme === 'file' && !/^file:\/\/(localhost)?\/[^/]/i.test(url)) return 'is not a valid file:// URL (file:///absolute/path)';
  return null;
}
