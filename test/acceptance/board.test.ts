// The web board in a real browser (Chromium via playwright-core) against a real
// `lanes board --web` process, a real worker and real lanes: one finished, one blocked
// by red tests, one blocked at the review gate, and a run of two lanes.
import { copyFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { browserAvailable, launchBrowser, screenshotPaths } from '../support/browser.js';
import { spawnCli } from '../support/cli.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';
import { basePlan, runFixture, runPlan, writeTask } from '../support/run-assertions.js';

// The wrong fix also commits the worker's provider key (stack env): the board must not show it.
const SECRET = 'test-key-not-secret';
const WRONG_FIX = CALCULATOR_FIX.replace('return a * b;', `return a + b; // ${SECRET}`);

async function waitForPhase(stack: LaneStack, id: string, phase: string, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const r = await stack.cli(['status', id, '--json']);
    if (r.exitCode === 0 && (last = r.json()).phase === phase) return last;
    if (last?.phase === 'failed') break;
    await new Promise((res) => setTimeout(res, 300));
  }
  const events = (await stack.cli(['events', id])).stdout;
  throw new Error(`lane ${id} did not reach ${phase}; last status ${JSON.stringify(last)}\nevents:\n${events}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const [first, ...copies] = screenshotPaths(name);
  await page.screenshot({ path: first!, fullPage: true });
  for (const c of copies) copyFileSync(first!, c);
}

// The suite shares one dev server, so the board also lists other test files' lanes: look at this file's own rows.
const OWN_ROWS = ['b-done', 'b-red', 'b-review'].map((id) => `#lane-rows tr[data-lane="${id}"]`).join(', ');
const RUN_LANES = ['b-run.a', 'b-run.b'];

describe.runIf(browserAvailable('web board browser tests'))('web board in Chromium', () => {
  let stack: LaneStack;
  let board: { proc: ResultPromise; ready: any };
  let browser: Browser;
  let repos: Record<string, { path: string; head(): Promise<string>; git(...a: string[]): Promise<string> }>;

  beforeAll(async () => {
    stack = await startLaneStack();
    const done = await stack.fixture('b-done');
    const red = await stack.fixture('b-red');
    const review = await stack.fixture('b-review');
    repos = { done, red, review };
    stack.mock.script('b-done', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    // Wrong twice: the one recovery turn does not help, so the lane blocks on `test`.
    stack.mock.script('b-red', [
      { text: 'first try', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: WRONG_FIX } }] },
      { text: 'done' },
      { text: 'second try', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: WRONG_FIX } }] },
      { text: 'done' },
    ]);
    stack.mock.script('b-review', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    // The board first: lanes submitted while it runs link to it from their Web UI Details.
    board = await spawnCli(['board', '--web', '--port', '0', '--web-ui-url', 'http://127.0.0.1:9/ui'], { env: { ...stack.env, LANES_BOARD_TOKEN: '' } });
    const submit = async (id: string, path: string, extra: Record<string, unknown> = {}) =>
      expect((await stack.cli(['submit', stack.writePacket(id, mockPacket(id, path, id, extra))])).exitCode).toBe(0);
    await submit('b-done', done.path);
    await submit('b-red', red.path);
    await submit('b-review', review.path, { merge: { requireReview: true } });
    // A run of two scripted lanes, started while the board runs: its lanes link to the board too.
    const runRepo = await runFixture(stack, 'b-run');
    repos.run = runRepo;
    const plan = basePlan('b-run', runRepo, [
      { id: 'a', packet: writeTask('notes/a.txt', 'ok a') },
      { id: 'b', packet: writeTask('notes/b.txt', 'ok b'), dependsOn: ['a'] },
    ]);
    const [ran] = await Promise.all([runPlan(stack, 'b-run-plan', plan), waitForPhase(stack, 'b-done', 'finished'), waitForPhase(stack, 'b-red', 'blocked'), waitForPhase(stack, 'b-review', 'blocked')]);
    expect(ran.report.state, ran.report.detail).toBe('finished');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    board?.proc.kill('SIGTERM');
    await board?.proc;
    await stack?.stop();
  });

  it('lists blocked lanes first with their state and next action, and updates a row without a reload', async () => {
    expect(board.ready.event).toBe('board.ready');
    expect(board.ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(board.ready.url)) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(board.ready.url);
    const rows = page.locator(OWN_ROWS);
    await expect.poll(() => rows.count()).toBe(3);
    const order = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-lane'), tr.getAttribute('data-state')]));
    // Blocked lanes first, the finished one last.
    expect(order.slice(0, 2).map((r) => r[1])).toEqual(['blocked', 'blocked']);
    expect(order[2]).toEqual(['b-done', 'finished']);
    const red = page.locator('#lane-b-red');
    await expect.poll(() => red.locator('.blocker').textContent()).toContain('test');
    expect(await red.locator('.next').textContent()).toContain('lanes resolve b-red --retry');
    // Usage while blocked: the turns so far, from the lane's state query.
    expect(await red.locator('td.num').nth(1).textContent()).toMatch(/^4 turns/);
    const review = page.locator('#lane-b-review');
    expect(await review.locator('.blocker').textContent()).toContain('review required');
    expect(await review.locator('.next').textContent()).toContain('lanes resolve b-review --approve');
    expect(await page.locator('#lane-b-done .next').textContent()).toContain('none: the lane is finished');
    // Must not: a finished lane showing a blocker.
    expect(await page.locator('#lane-b-done .blocker').count()).toBe(0);
    expect(await page.locator('#lane-b-done .num').first().textContent()).toMatch(/\d+(s|m)/);
    await screenshot(page, 'board');

    // Live: approve the review lane elsewhere; the row changes without a reload.
    await page.evaluate(() => ((globalThis as unknown as { boardMarker: number }).boardMarker = 42));
    expect((await stack.cli(['resolve', 'b-review', '--approve', '--note', 'from the board test'])).exitCode).toBe(0);
    await expect.poll(() => page.locator('#lane-b-review').getAttribute('data-state'), { timeout: 60_000, interval: 250 }).toBe('finished');
    expect(await page.evaluate(() => (globalThis as unknown as { boardMarker?: number }).boardMarker)).toBe(42);
    // Must not: any request off the board's own origin (no external assets), or a script error.
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('filters by state through the form, and the table works with JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(board.ready.url);
    expect(await page.locator(OWN_ROWS).count()).toBe(3);
    await page.selectOption('select[name=state]', 'blocked');
    await page.click('button[type=submit]');
    await page.waitForURL(/state=blocked/);
    const shown = await page.locator('#lane-rows tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-lane'), tr.getAttribute('data-state')]));
    expect(shown.map((r) => r[0])).toContain('b-red');
    // Must not: a lane in another state past the filter.
    expect(shown.every((r) => r[1] === 'blocked')).toBe(true);
    expect(shown.map((r) => r[0])).not.toContain('b-done');
    await context.close();
  });

  it('the lane page shows the failing log tail, the diff against the base, commits and Web UI links', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(board.ready.url);
    await page.click('#lane-b-red a[href="/lanes/b-red"]');
    await page.waitForURL(/\/lanes\/b-red$/);
    expect(await page.locator('#lane-state').textContent()).toContain('blocked');
    expect(await page.locator('#next').textContent()).toContain('--retry');
    // node --test prints the failing assertion: 2 + 3 came out as 5, not 6.
    const log = await page.locator('#failing-log').textContent();
    expect(log).toMatch(/fail|not ok|AssertionError/i);
    expect(log!.length).toBeLessThanOrEqual(4_000);
    const diff = await page.locator('#diff').textContent();
    expect(diff).toContain('src/math.js');
    expect(diff).toContain('+  return a + b; // [REDACTED:ANTHROPIC_API_KEY]');
    // Must not: a secret value anywhere on the page.
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.locator('#commits li').count()).toBeGreaterThan(0);
    expect(await page.locator('#landing').textContent()).toContain('not landed');
    expect(await page.locator('#timeline tbody tr').count()).toBeGreaterThan(5);
    expect(await page.locator('a', { hasText: 'Temporal Web UI' }).getAttribute('href')).toMatch(/^http:\/\/127\.0\.0\.1:9\/ui\/namespaces\/default\/workflows\/lane-b-red\//);
    // Must not: the red lane's change on main.
    expect(Number(await repos.red!.git('rev-list', '--count', '--merges', 'main'))).toBe(0);
    await screenshot(page, 'board-lane');

    await page.goto(`${board.ready.url}/lanes/b-done`);
    expect(await page.locator('#landing').textContent()).toMatch(/landed on main at [0-9a-f]{10}/);
    expect(await page.locator('#failing-log').count()).toBe(0);
    await page.close();
  });

  it('shows a run as its own row with its lanes grouped; the run page links its lanes, and the run filter keeps only them', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(board.ready.url);
    const run = page.locator('#run-rows tr[data-run="b-run"]');
    await expect.poll(() => run.getAttribute('data-state')).toBe('finished');
    // The run's lanes, grouped in its row, each linking to its lane page.
    const grouped = await run.locator('ul.run-lanes li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-lane'), li.getAttribute('data-status'), li.querySelector('a')?.getAttribute('href')]));
    expect(grouped).toEqual(RUN_LANES.map((id) => [id, 'landed', `/lanes/${id}`]));
    expect(await run.textContent()).toContain('2 landed');
    expect(await run.textContent()).toContain('lanes-run/b-run → main');
    // Must not: a lane submitted on its own listed under the run.
    expect(await run.locator('li[data-lane="b-red"]').count()).toBe(0);
    await screenshot(page, 'board-runs');

    await run.locator('a[href="/runs/b-run"]').click();
    await page.waitForURL(/\/runs\/b-run$/);
    expect(await page.locator('#run-state').textContent()).toContain('finished');
    const tasks = await page.locator('#run-tasks tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-task'), tr.getAttribute('data-status'), tr.querySelector('a')?.getAttribute('href')]));
    expect(tasks).toEqual([['a', 'landed', '/lanes/b-run.a'], ['b', 'landed', '/lanes/b-run.b']]);
    expect((await page.locator('#lane-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-lane')))).sort()).toEqual(RUN_LANES);
    await screenshot(page, 'board-run');
    // A run's lane page links back to the run's lanes, and says it landed on the integration branch.
    await page.click('#run-tasks a[href="/lanes/b-run.a"]');
    await page.waitForURL(/\/lanes\/b-run\.a$/);
    expect(await page.locator('#landing').textContent()).toMatch(/landed on lanes-run\/b-run at [0-9a-f]{10}/);
    expect(await page.locator('a[href="/?run=b-run"]').count()).toBe(1);
    await page.close();

    // The run filter (a select of the runs the board knows), with JavaScript off.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(board.ready.url);
    await plain.selectOption('select[name=run]', 'b-run');
    await plain.click('button[type=submit]');
    await plain.waitForURL(/run=b-run/);
    const shown = await plain.locator('#lane-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-lane')));
    expect(shown.sort()).toEqual(RUN_LANES);
    expect(await plain.locator('#run-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual(['b-run']);
    // Must not: lanes of no run (or another run) past the filter.
    expect(shown).not.toContain('b-red');
    // The repo filter keeps the run (runs carry LaneRepo) and the lanes on that repository only.
    await plain.goto(`${board.ready.url}/?repo=${encodeURIComponent(repos.run!.path)}`);
    expect((await plain.locator('#lane-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-lane')))).sort()).toEqual(RUN_LANES);
    expect(await plain.locator('#run-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual(['b-run']);
    await plain.goto(`${board.ready.url}/?repo=${encodeURIComponent(repos.red!.path)}`);
    expect(await plain.locator('#lane-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-lane')))).toEqual(['b-red']);
    // Must not: a run listed under a repository it does not work on.
    expect(await plain.locator('#run-rows tr[data-run]').count()).toBe(0);
    await context.close();
  });

  it("the blocker carries the failing test output's tail (capped, no secret) for `lanes status` and the board", async () => {
    const status = (await stack.cli(['status', 'b-red', '--json'])).json();
    expect(status.blocker.class).toBe('test');
    expect(status.blocker.tail).toMatch(/fail|not ok|AssertionError/i);
    expect(status.blocker.tail.length).toBeLessThanOrEqual(800);
    expect(JSON.stringify(status)).not.toContain(SECRET);
    const text = await stack.cli(['status', 'b-red']);
    expect(text.stdout).toContain('failing output (end):');
  });

  it('a lane started by a run links to its board page from its Web UI Details, and the run to its run page', async () => {
    const lane = await stack.client.workflow.getHandle('lane-b-run.a').describe();
    const details = await lane.staticDetails();
    expect(details).toContain(`[lane page on the board](${board.ready.url}/lanes/b-run.a)`);
    // Markdown hard breaks, no repetition of the branch.
    expect(details!.split('\\\n')).toHaveLength(3);
    expect(details!.split('branch ')).toHaveLength(2);
    const run = await stack.client.workflow.getHandle('run-b-run').describe();
    expect(await run.staticDetails()).toContain(`[run page on the board](${board.ready.url}/runs/b-run)`);
  });

  it('`lanes open <lane>` prints the lane\'s Web UI and board URLs; an unknown lane is an error', async () => {
    const r = await stack.cli(['open', 'b-red', '--json']);
    expect(r.exitCode).toBe(0);
    const v = r.json();
    expect(v.board).toBe(`${board.ready.url}/lanes/b-red`);
    expect(v.boardRunning).toBe(true);
    expect(v.webUi).toBe(`http://127.0.0.1:9/ui/namespaces/default/workflows/lane-b-red/${v.runId}/history`);
    const text = await stack.cli(['open', 'b-red']);
    expect(text.stdout).toContain(`board:  ${board.ready.url}/lanes/b-red`);
    const missing = await stack.cli(['open', 'no-such-lane', '--json']);
    expect(missing.exitCode).toBe(1);
    expect(missing.json().error.code).toBe('not_found');
    // Must not: URLs for a lane that does not exist.
    expect(missing.stdout).not.toContain('/lanes/no-such-lane');
  });

  it('the Temporal Web UI lane page shows the full next: line inside its frame, and Details line by line with the board link', async () => {
    const ui = inject('temporalUiUrl');
    const { runId } = (await stack.cli(['open', 'b-red', '--json'])).json();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${ui}/namespaces/default/workflows/lane-b-red/${runId}/user-metadata`);
    const frames = () =>
      page.$$eval('iframe[title=output]', (els) =>
        els.map((f) => {
          const frame = f as unknown as { clientHeight: number; contentDocument: { body: { innerText: string; innerHTML: string }; documentElement: { scrollHeight: number } } | null };
          const doc = frame.contentDocument;
          return { text: doc?.body.innerText ?? '', html: doc?.body.innerHTML ?? '', frameHeight: frame.clientHeight, contentHeight: doc?.documentElement.scrollHeight ?? 0 };
        }),
      );
    await expect.poll(async () => (await frames()).some((f) => f.text.includes('next:')), { timeout: 30_000, interval: 500 }).toBe(true);
    const all = await frames();
    const current = all.find((f) => f.text.includes('next:'))!;
    const lines = current.text.split('\n').map((l) => l.trim()).filter(Boolean);
    // Phase and next action first, the blocker second, the last event last.
    expect(lines[0]).toBe('blocked · next: inspect the failing test log in the lane folder, then lanes resolve b-red --retry or --abort');
    expect(lines[1]).toMatch(/^blocker: test — targeted tests still red after 1 recovery attempt\(s\)$/);
    expect(lines[2]).toMatch(/^last: #\d+ lane\.blocked · green none$/);
    // The whole of it is visible: its content is no taller than its frame.
    expect(current.contentHeight).toBeLessThanOrEqual(current.frameHeight);
    const details = all.find((f) => f.text.includes('branch lanes/b-red'))!;
    expect(details.html).toContain('<br>');
    expect(details.text).toMatch(/^repo .*b-red\s*\nbranch lanes\/b-red from main · provider anthropic claude-sonnet-4-5\s*\nlane page on the board\s*$/);
    expect(details.html).toContain(`href="${board.ready.url}/lanes/b-red"`);
    expect(details.contentHeight).toBeLessThanOrEqual(details.frameHeight);
    await screenshot(page, 'web-ui-lane');
    await page.close();
  });
});
