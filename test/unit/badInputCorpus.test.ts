// The bad-input corpus (issue 12): more than 200 inputs an adversarial user could give SEA Lens — broken,
// lying and hostile images; model packs with missing fields, paths out of the pack, NaN weights, damaged
// safetensors; notebooks with unbounded stored grids, bad JSON, wrong versions; run configs out of range,
// with unknown keys, wrong types, bad seeds, a missing pack or start adapter. Each one goes through the real
// CLI (bin/sea-lens.js, in its own process with a bounded heap) and must be refused: the documented exit
// code, the file named with what to do, no Python traceback, no JavaScript stack, nothing (not `null`) on
// stdout in place of a result, within the timeout. The inputs are made here, in a temporary folder
// (test/fixtures/badInputs/), never checked in. A summary line gives the counts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BadInput } from '../fixtures/badInputs/badInput';
import { imageCases } from '../fixtures/badInputs/images';
import { packCases } from '../fixtures/badInputs/packs';
import { notebookCases } from '../fixtures/badInputs/notebooks';
import { trainConfigCases } from '../fixtures/badInputs/trainConfigs';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'sea-lens.js');
const BUILT = existsSync(path.join(ROOT, 'dist', 'cli.js'));
const SAMPLE = path.join(ROOT, 'media', 'samples', 'test0000-pink-circle-wood.png');
/** Per input. A refusal takes about a second; a hang is what this catches. */
const TIMEOUT_MS = 60_000;
const CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism() - 1));
/** Words that say what to do (or what is needed) — every refusal must carry one. */
const FIX_HINT = /\b(re-?export|re-?download|re-?save|convert|update|install|use|choose|give|check|fix|set|add|delete|remove|rename|crop|downscale|recompress|clear|split|point|put|pass|must|needs?|needed|expected|required|it has|one of)\b|known:|docs\//i;

interface Outcome { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

function runCli(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // A bounded heap: an input that makes the CLI allocate without limit fails this test instead of the machine.
    const child = spawn(process.execPath, ['--max-old-space-size=1024', BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

describe('bad-input corpus: every input refused through the real CLI', { skip: !BUILT && 'SKIPPED: dist/cli.js is not built (node esbuild.mjs)' }, () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sealens-bad-inputs-'));
  const cases: BadInput[] = BUILT
    ? [...imageCases(root, SAMPLE), ...packCases(root, path.join(ROOT, 'media', 'demo-pack'), SAMPLE), ...notebookCases(root), ...trainConfigCases(root, ROOT)]
    : [];
  const outcomes = new Map<BadInput, Outcome>();
  const counts = { inputs: cases.length, tracebacks: 0, stacks: 0, hangs: 0, silentAccepts: 0, wrongCode: 0, unnamed: 0, noFix: 0 };

  before(async () => {
    const queue = [...cases];
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const o = await runCli(c.args, root);
        outcomes.set(c, o);
        const all = o.stdout + o.stderr;
        if (/Traceback/.test(all)) counts.tracebacks++;
        if (/^ {4}at /m.test(all)) counts.stacks++;
        if (o.signal || o.ms >= TIMEOUT_MS) counts.hangs++;
        else if (o.code === 0) counts.silentAccepts++;
        else if (o.code !== c.code) counts.wrongCode++;
        if (!o.stderr.includes(c.names)) counts.unnamed++;
        if (!FIX_HINT.test(o.stderr)) counts.noFix++;
      }
    }));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const c of cases) {
    it(`BAD INPUT - ${c.category}: ${c.id}`, () => {
      const o = outcomes.get(c);
      assert.ok(o, 'the CLI ran');
      const where = `\n$ sea-lens ${c.args.join(' ')}\nexit ${o.code ?? o.signal} after ${o.ms} ms\nstdout: ${o.stdout.slice(0, 400)}\nstderr: ${o.stderr.slice(0, 800)}`;
      assert.ok(!o.signal && o.ms < TIMEOUT_MS, `hung (killed after ${TIMEOUT_MS} ms)${where}`);
      assert.equal(o.code, c.code, `exit code${where}`);
      assert.doesNotMatch(o.stdout + o.stderr, /Traceback/, `a Python traceback${where}`);
      assert.doesNotMatch(o.stdout + o.stderr, /^ {4}at /m, `a JavaScript stack trace${where}`);
      assert.doesNotMatch(o.stdout, /^\s*(null|\[\])\s*$|"patches"/, `stdout holds a result (or null) for a refused input${where}`);
      assert.ok(o.stderr.includes(c.names), `the message does not name ${c.names}${where}`);
      assert.match(o.stderr, FIX_HINT, `the message does not say what to do${where}`);
      if (c.expect) assert.match(o.stderr, c.expect, `the message does not say what is wrong${where}`);
    });
  }

  it('summary: at least 200 inputs, 0 tracebacks, 0 hangs, 0 silent accepts', () => {
    const byCategory = (['image', 'pack', 'notebook', 'train'] as const).map((k) => `${cases.filter((c) => c.category === k).length} ${k === 'train' ? 'run configs' : `${k}s`}`).join(', ');
    console.log(`bad-input corpus: ${counts.inputs} inputs (${byCategory}), ${counts.tracebacks} tracebacks, ${counts.stacks} stack traces, ${counts.hangs} hangs, ${counts.silentAccepts} silent accepts, ${counts.wrongCode} other exit codes, ${counts.unnamed} messages without the file, ${counts.noFix} without what to do`);
    assert.ok(counts.inputs >= 200, `only ${counts.inputs} inputs`);
    assert.deepEqual([counts.tracebacks, counts.stacks, counts.hangs, counts.silentAccepts], [0, 0, 0, 0]);
  });
});
