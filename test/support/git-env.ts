// Git activities read the process environment: tests that run them in-process give git an
// empty HOME and no system config or inherited identity, so only the fixture's config counts.
import { afterAll, beforeAll } from 'vitest';

/** Registers beforeAll/afterAll hooks that isolate git's config for this test file. */
export function isolateGitEnv(makeHome: () => string): void {
  let saved: NodeJS.ProcessEnv;
  beforeAll(() => {
    saved = { ...process.env };
    const emptyHome = makeHome();
    process.env.HOME = emptyHome;
    process.env.XDG_CONFIG_HOME = emptyHome;
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    for (const key of Object.keys(process.env)) if (/^GIT_(AUTHOR|COMMITTER)_/.test(key)) delete process.env[key];
  });
  afterAll(() => {
    process.env = saved;
  });
}
