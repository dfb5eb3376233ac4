// The playground in a real browser: Debian's headless Chromium driven by playwright-core. Starts
// the built server on a free loopback port, then does what a policy officer would: picks a
// policy, edits a threshold, makes a typo and follows its diagnostic, evaluates a family, opens
// the explanation, runs the tests and compares with the shipped policy. A screenshot of the page
// is kept in target/playground/ (its path is printed).
//
// Run by scripts/test-playground, which sets EARLYHELP_BIN (the built `earlyhelp`), POLICIES (the
// folder to serve) and SCREENSHOTS (where to put the picture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.EARLYHELP_BIN;
const POLICIES = process.env.POLICIES;
const SCREENSHOTS = process.env.SCREENSHOTS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const server = spawn(BIN, ['serve', '--policies', POLICIES, '--no-auth', '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      const health = await fetch(`${base}/health`);
      if (health.ok) return { server, base };
    } catch (e) { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new Error('the server did not answer /health within 30 seconds');
}

// The offset in the editor's text of `needle`, which must be there.
async function offsetOf(page, needle) {
  const at = await page.$eval('#source', (t, n) => t.value.indexOf(n), needle);
  assert.ok(at >= 0, `the editor holds ${needle}`);
  return at;
}

async function select(page, from, to) {
  await page.$eval('#source', (t, [a, b]) => { t.focus(); t.setSelectionRange(a, b); }, [from, to]);
}

test('a policy officer edits, checks, evaluates, tests and compares a policy', async (t) => {
  assert.ok(BIN && POLICIES && SCREENSHOTS, 'run by scripts/test-playground');
  const { server, base } = await startServer();
  const profile = mkdtempSync(join(tmpdir(), 'earlyhelp-chromium-'));
  // A fresh profile for every run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

    await t.test('the page loads with the shipped policies and example families', async () => {
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.selectOption('#policy-pick', 'supporting_families');
      await page.waitForFunction(() => document.querySelector('#source').value.includes('policy supporting_families'));
      await page.waitForFunction(() => document.querySelector('#check-status').textContent === 'No problems found.');
      assert.match(await page.textContent('#policy-meta'), /supporting-families\/supporting-families\.policy/);
      // Highlighted by the TextMate grammar's classes, with a line number for every line.
      assert.ok(await page.$('#highlight .tok-keyword'), 'keywords are highlighted');
      const lines = await page.$eval('#source', (t) => t.value.split('\n').length);
      const numbers = await page.$eval('#gutter', (g) => g.textContent.trim().split('\n').length);
      assert.equal(numbers, lines);
    });

    await t.test('editing a threshold', async () => {
      const at = await offsetOf(page, 'param needs_needed: number = 3');
      const digit = at + 'param needs_needed: number = '.length;
      await select(page, digit, digit + 1);
      await page.keyboard.type('2');
      assert.ok((await page.inputValue('#source')).includes('param needs_needed: number = 2'));
    });

    await t.test('a typo gives a diagnostic under the editor, which leads to its line', async () => {
      const at = await offsetOf(page, 'decision eligible');
      await select(page, at, at + 'decision'.length);
      await page.keyboard.type('decison');
      const item = await page.waitForSelector('#diagnostics li.error button');
      const line = (await page.inputValue('#source')).slice(0, at).split('\n').length;
      assert.match(await item.textContent(), new RegExp(`^line ${line}, column \\d+: error: `));
      assert.ok(await page.$(`#gutter .bad`), 'the gutter marks the line');
      // Move away, then follow the diagnostic back to its line.
      await select(page, 0, 0);
      await item.click();
      const caretLine = await page.$eval('#source', (t) => t.value.slice(0, t.selectionStart).split('\n').length);
      assert.equal(caretLine, line);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'source');
      // Put it right: the diagnostics clear.
      await select(page, at, at + 'decison'.length);
      await page.keyboard.type('decision');
      await page.waitForFunction(() => document.querySelector('#check-status').textContent === 'No problems found.');
      assert.equal(await page.$$eval('#diagnostics li', (l) => l.length), 0);
    });

    await t.test('evaluating a family shows each decision, what would settle it, and the explanation', async () => {
      await page.selectOption('#family-pick', { label: 'examples/undetermined-family.json' });
      assert.match(await page.inputValue('#family'), /F-EXAMPLE-UNDETERMINED/);
      await page.click('#evaluate');
      await page.waitForSelector('#results table');
      // Two headline outcomes and two needed now: the family becomes eligible.
      const eligible = await page.textContent('#results tr:has(th:text("Eligible for Supporting Families")) td');
      assert.equal(eligible, 'yes');
      assert.match(await page.textContent('#evaluate-status'), /1 family evaluated/);
      // The explanation, opened: the engine's own summary, then the needs.
      const first = page.locator('#results .explanation > details').first();
      await first.locator('summary').first().click();
      assert.equal(await first.getAttribute('open'), '');
      assert.match(await first.locator('summary').first().textContent(), /^Eligible for Supporting Families: yes/);
      const needs = page.locator('#results .explanation > details', { hasText: 'Needs considered' });
      await needs.locator('summary').first().click();
      const health = needs.locator('.inner > details', { hasText: 'Improved mental and physical health' }).first();
      await health.locator('summary').first().click();
      const need = health.locator('details', { hasText: 'mental health concern' }).first();
      await need.locator('summary').first().click();
      assert.match(await need.textContent(), /met.*about P1/s);
    });

    await t.test('undetermined decisions name the fields that would settle them', async () => {
      // Back to three needed: the same family is undetermined, for want of three fields.
      const at = await offsetOf(page, 'param needs_needed: number = 2');
      const digit = at + 'param needs_needed: number = '.length;
      await select(page, digit, digit + 1);
      await page.keyboard.type('3');
      await page.click('#evaluate');
      await page.waitForFunction(() => /undetermined/.test(document.querySelector('#results tr td')?.textContent || ''));
      const settle = await page.textContent('#results tr:has(th:text("Eligible for Supporting Families")) td:last-child');
      assert.equal(settle, 'finances.problem_debt, housing.status, members[2].education.attendance_pct');
      // And two again for the tests and the comparison.
      await select(page, digit, digit + 1);
      await page.keyboard.type('2');
    });

    await t.test('running the tests against the edited text', async () => {
      await page.click('#run-tests');
      await page.waitForFunction(() => /\d+ passed, \d+ failed\./.test(document.querySelector('#tests-status').textContent));
      const [, passed, failed] = (await page.textContent('#tests-status')).match(/(\d+) passed, (\d+) failed/).map(Number);
      assert.ok(passed > 0 && failed > 0, `some tests count on three needs (${passed} passed, ${failed} failed)`);
      assert.equal(await page.$$eval('#tests li.fail', (l) => l.length), failed);
      assert.match(await page.textContent('#tests li.fail pre'), /expected .* is/);
    });

    await t.test('comparing with the shipped policy over the example families', async () => {
      await page.click('#compare');
      await page.waitForSelector('#comparison table');
      assert.match(await page.textContent('#compare-status'), /^\d+ example families compared/);
      const head = await page.textContent('#comparison th[scope="row"]:text-matches("^eligible")');
      const changed = Number(head.match(/\((\d+) changed\)/)[1]);
      assert.ok(changed > 0, 'fewer needs needed makes some families eligible');
      // For the picture: the first explanation open, from the top of the page.
      await page.locator('#results .explanation > details > summary').first().click();
      await page.evaluate(() => window.scrollTo(0, 0));
    });

    mkdirSync(SCREENSHOTS, { recursive: true });
    // The first screen, and the whole page below it.
    const picture = join(SCREENSHOTS, 'playground.png');
    await page.screenshot({ path: picture });
    console.log(`screenshot: ${picture}`);
    const whole = join(SCREENSHOTS, 'playground-full.png');
    await page.screenshot({ path: whole, fullPage: true });
    console.log(`screenshot: ${whole}`);
    assert.deepEqual(errors, [], 'no errors in the page');
  } finally {
    await browser.close();
    server.kill();
    rmSync(profile, { recursive: true, force: true });
  }
});
