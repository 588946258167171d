// pack init on the Node side: where the source is, the exporter's process protocol (progress / done /
// error lines, exit codes, cancel with the temporary folder removed), the CLI's arguments and exit codes,
// and a Hub id end to end against the local Hub server. The exporter here is a FAKE Python module that
// only speaks the protocol (the real one is tested by python/tests with real checkpoints).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/cli';
import { packInit } from '../../src/packInit/packInit';
import { PackInitError } from '../../src/packInit/packInitError';
import { defaultPackName, resolveSource } from '../../src/packInit/packSource';
import { runExporter } from '../../src/packInit/runExporter';
import { HubFixtureServer, shardedRepo } from './hubFixtureServer';

const ROOT = path.resolve(__dirname, '..', '..');
// Any Python runs the fake exporter; discovery (packInit, the CLI) needs one with torch, onnx, transformers.
const ANY_PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'pass']).status === 0) ?? 'python3';
const FULL_PYTHON = [path.join(ROOT, '.venv', 'bin', 'python'), '/tmp/tv/bin/python'].find((p) => existsSync(p)
  && spawnSync(p, ['-c', 'import importlib.util as u; assert all(u.find_spec(m) for m in ("torch", "onnx", "transformers"))'], { timeout: 60_000 }).status === 0);
const NO_FULL = 'no Python with torch, onnx and transformers (node scripts/ensure-python.mjs makes .venv)';

// Speaks the exporter protocol; FAKE_MODE picks the behaviour.
const FAKE_EXPORTER = String.raw`
import argparse, json, os, sys, time
p = argparse.ArgumentParser()
p.add_argument("cmd"); p.add_argument("--src"); p.add_argument("--out"); p.add_argument("--layer"); p.add_argument("--repo"); p.add_argument("--revision")
a = p.parse_args()
mode = os.environ.get("FAKE_MODE", "ok")
ev = lambda **k: print(json.dumps(k), flush=True)
tmp = os.path.join(os.path.dirname(a.out), "." + os.path.basename(a.out) + ".tmp-" + str(os.getpid()))
os.makedirs(tmp)
print("loading the checkpoint (log text)", flush=True)
print("a warning on stderr", file=sys.stderr, flush=True)
ev(event="progress", message="exporting the vision tower", fraction=0.5)
if mode == "hang":
    time.sleep(60)
if mode.startswith("exit"):
    code = int(mode[4:])
    ev(event="error", code={3: "unsupported", 4: "checkpoint", 5: "packages", 6: "disk"}.get(code, "other"), message="fake failure %d: supported families: llava, qwen2_vl" % code)
    sys.exit(code)
if mode == "crash":
    raise RuntimeError("boom")
with open(os.path.join(tmp, "manifest.json"), "w") as f:
    json.dump({"args": vars(a)}, f)
os.rename(tmp, a.out)
ev(event="progress", message="done", fraction=1.0)
ev(event="done", pack=a.out, family="llava", name="fake pack")
`;

let tmp: string;
let install: string;
let checkpoint: string;

function makeInstall(dir: string): void {
  mkdirSync(path.join(dir, 'python', 'sealens', 'hfpack'), { recursive: true });
  writeFileSync(path.join(dir, 'python', 'sealens', '__init__.py'), '');
  writeFileSync(path.join(dir, 'python', 'sealens', 'hfpack', '__init__.py'), '');
  writeFileSync(path.join(dir, 'python', 'sealens', 'hfpack', '__main__.py'), FAKE_EXPORTER);
  writeFileSync(path.join(dir, 'package.json'), '{}');
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '', err = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(argv, { installDir: install, stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealens-packinit-'));
  install = path.join(tmp, 'install');
  makeInstall(install);
  checkpoint = path.join(tmp, 'my-llava');
  mkdirSync(checkpoint);
  writeFileSync(path.join(checkpoint, 'config.json'), '{"model_type": "llava"}');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('pack init: the source', () => {

  it('a checkpoint folder; a snapshot in the HF cache (repo and revision from the path); a models--org--name folder (refs/main)', () => {
    assert.deepEqual(resolveSource(checkpoint), { kind: 'folder', dir: checkpoint });
    const repoDir = path.join(tmp, 'hub', 'models--llava-hf--llava-1.5-7b-hf');
    const commit = 'a'.repeat(40);
    const snap = path.join(repoDir, 'snapshots', commit);
    mkdirSync(snap, { recursive: true });
    mkdirSync(path.join(repoDir, 'refs'));
    writeFileSync(path.join(snap, 'config.json'), '{}');
    assert.deepEqual(resolveSource(snap), { kind: 'folder', dir: snap, repo: 'llava-hf/llava-1.5-7b-hf', revision: commit });
    assert.throws(() => resolveSource(repoDir), (e) => e instanceof PackInitError && e.exitCode === 2 && /no refs\/main; pass one of its snapshots instead/.test(e.message));
    writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    const s = resolveSource(repoDir);
    assert.deepEqual(s, { kind: 'folder', dir: snap, repo: 'llava-hf/llava-1.5-7b-hf', revision: commit });
    assert.equal(defaultPackName(s), 'llava-hf--llava-1.5-7b-hf');
    assert.equal(defaultPackName(resolveSource(checkpoint)), 'my-llava');
  });

  it('a Hub id org/name[@rev] when no such folder exists; bad input names the problem', () => {
    assert.deepEqual(resolveSource('Qwen/Qwen2-VL-2B-Instruct@v1', tmp), { kind: 'hub', repo: 'Qwen/Qwen2-VL-2B-Instruct', revision: 'v1' });
    assert.throws(() => resolveSource('no-such-folder', tmp), (e) => e instanceof PackInitError && e.exitCode === 2 && /neither a folder here .* nor a Hub id/.test(e.message));
    assert.throws(() => resolveSource(path.join(checkpoint, 'config.json')), (e) => e instanceof PackInitError && e.exitCode === 2 && /is a file/.test(e.message));
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    assert.throws(() => resolveSource(empty), (e) => e instanceof PackInitError && e.exitCode === 4 && /has no config\.json/.test(e.message));
  });
});

describe('pack init: the exporter process', () => {
  it('follows the protocol: progress events, log text from stdout and stderr, the done event; the arguments it was given', async () => {
    const out = path.join(tmp, 'proto', 'pack');
    mkdirSync(path.dirname(out), { recursive: true });
    const progress: [string, number][] = [];
    const logs: string[] = [];
    const r = await runExporter({ python: ANY_PYTHON, pythonPath: path.join(install, 'python'), src: checkpoint, out, layer: -2, repo: 'a/b', revision: 'c'.repeat(40), env: { ...process.env, FAKE_MODE: 'ok' }, onProgress: (m, f) => progress.push([m, f]), onLog: (l) => logs.push(l) }).done;
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.done, { pack: out, family: 'llava', name: 'fake pack' });
    assert.deepEqual(progress, [['exporting the vision tower', 0.5], ['done', 1]]);
    assert.ok(logs.includes('loading the checkpoint (log text)') && logs.includes('a warning on stderr'), logs.join('\n'));
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).args, { cmd: 'init', src: checkpoint, out, layer: '-2', repo: 'a/b', revision: 'c'.repeat(40) });
  });

  it('CANCEL - SIGTERM to the exporter; its temporary folder beside --out is removed; --out never appears', async () => {
    const out = path.join(tmp, 'cancel', 'pack');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(path.join(path.dirname(out), 'unrelated.txt'), 'kept');
    let announce = (): void => {};
    const started = new Promise<void>((resolve) => (announce = resolve));
    const run = runExporter({ python: ANY_PYTHON, pythonPath: path.join(install, 'python'), src: checkpoint, out, env: { ...process.env, FAKE_MODE: 'hang' }, onProgress: () => announce() });
    await started;
    assert.equal(readdirSync(path.dirname(out)).filter((n) => n.includes('.tmp-')).length, 1, 'the fake made its temporary folder');
    const t0 = Date.now();
    run.cancel();
    const r = await run.done;
    assert.ok(r.cancelled);
    assert.equal(r.signal, 'SIGTERM');
    assert.ok(Date.now() - t0 < 4000, 'SIGTERM should end it at once');
    assert.deepEqual(readdirSync(path.dirname(out)), ['unrelated.txt']);
  });

  it('exporter exit codes 3–6 come through packInit as PackInitError with the same code and the exporter\'s message; a crash is 1 with the traceback tail', async (t) => {
    if (!FULL_PYTHON) return t.skip(NO_FULL);
    for (const code of [3, 4, 5, 6]) {
      const out = path.join(tmp, `fail${code}`, 'pack');
      await assert.rejects(packInit({ source: checkpoint, out, outRoot: tmp, installDir: install, python: { executable: FULL_PYTHON, source: 'flag' }, env: { ...process.env, FAKE_MODE: `exit${code}` } }), (e) => {
        assert.ok(e instanceof PackInitError, String(e));
        assert.equal(e.exitCode, code);
        assert.match(e.message, new RegExp(`fake failure ${code}: supported families`));
        return true;
      });
      assert.deepEqual(readdirSync(path.dirname(out)), [], `exit ${code} left files`);
    }
    await assert.rejects(packInit({ source: checkpoint, out: path.join(tmp, 'crash', 'pack'), outRoot: tmp, installDir: install, python: { executable: FULL_PYTHON, source: 'flag' }, env: { ...process.env, FAKE_MODE: 'crash' } }),
      (e) => e instanceof PackInitError && e.exitCode === 1 && /exited with 1: .*RuntimeError: boom/.test(e.message));
  });

  it('an AbortSignal cancels packInit → exit 130, nothing written', async (t) => {
    if (!FULL_PYTHON) return t.skip(NO_FULL);
    const out = path.join(tmp, 'abort', 'pack');
    const ac = new AbortController();
    await assert.rejects(packInit({ source: checkpoint, out, outRoot: tmp, installDir: install, signal: ac.signal, python: { executable: FULL_PYTHON, source: 'flag' }, env: { ...process.env, FAKE_MODE: 'hang' }, onProgress: () => ac.abort() }),
      (e) => e instanceof PackInitError && e.exitCode === 130 && /cancelled; nothing was written/.test(e.message));
    assert.deepEqual(readdirSync(path.dirname(out)), []);
  });
});

describe('sea-lens pack init (CLI)', () => {
  let server: HubFixtureServer;
  const repo = shardedRepo('sealens-test/cli-vlm', 8192);
  const gated = { ...shardedRepo('sealens-test/cli-gated', 4096), gatedToken: 'hf_ok' };
  before(async () => {
    server = await new HubFixtureServer([repo, gated]).start();
  });
  after(async () => {
    await server.stop();
  });

  it('USAGE - no subcommand, no source, two sources, a bad --layer, an unknown option → exit 2 with the reason; --help lists the exit codes', async () => {
    assert.match((await cli(['pack'])).err, /a subcommand is needed \(subcommands: init\)/);
    assert.equal((await cli(['pack', 'make'])).code, 2);
    const none = await cli(['pack', 'init']);
    assert.equal(none.code, 2);
    assert.match(none.err, /exactly one checkpoint folder or Hub id/);
    assert.equal((await cli(['pack', 'init', 'a/b', 'c/d'])).code, 2);
    const layer = await cli(['pack', 'init', 'a/b', '--layer', 'last']);
    assert.equal(layer.code, 2);
    assert.match(layer.err, /--layer must be a whole number/);
    assert.equal((await cli(['pack', 'init', 'a/b', '--frobnicate'])).code, 2);
    const help = await cli(['pack', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /3 unsupported architecture.*\n?.*/s);
    assert.match(help.out, /8 access denied/);
    const bad = await cli(['pack', 'init', 'not a repo id', '--python', ANY_PYTHON]);
    assert.equal(bad.code, 2);
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy, { recursive: true });
    writeFileSync(path.join(busy, 'thesis.tex'), 'mine');
    const over = await cli(['pack', 'init', checkpoint, '--out', busy, '--python', ANY_PYTHON]);
    assert.equal(over.code, 2);
    assert.match(over.err, /other files in it and no manifest\.json/);
    assert.equal(readFileSync(path.join(busy, 'thesis.tex'), 'utf8'), 'mine');
  });

  it('PYTHON - an interpreter without transformers → exit 5 and the pip command', async (t) => {
    const probe = spawnSync(ANY_PYTHON, ['-c', 'import transformers']);
    if (probe.status === 0) return t.skip(`${ANY_PYTHON} has transformers; no Python without it to test with`);
    const r = await cli(['pack', 'init', checkpoint, '--python', ANY_PYTHON]);
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, /pip install .*transformers/);
  });

  it('a Hub id: downloads from HF_ENDPOINT into HF_HUB_CACHE, runs the exporter on the snapshot with --repo/--revision, default --out ./sealens-packs/org--name', async (t) => {
    if (!FULL_PYTHON) return t.skip(NO_FULL);
    const cwd = process.cwd();
    const work = path.join(tmp, 'cli-work');
    mkdirSync(work, { recursive: true });
    process.chdir(work);
    try {
      const cache = path.join(tmp, 'cli-cache');
      const r = await cli(['pack', 'init', 'sealens-test/cli-vlm', '--python', FULL_PYTHON], { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '', FAKE_MODE: 'ok' });
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /^python: .*\(--python; Python 3/m);
      const pack = path.join(work, 'sealens-packs', 'sealens-test--cli-vlm');
      assert.match(r.out, /downloading model-00001-of-00003\.safetensors/);
      assert.match(r.out, new RegExp(`pack: ${pack.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(fake pack, family llava\\)`));
      const args = JSON.parse(readFileSync(path.join(pack, 'manifest.json'), 'utf8')).args;
      assert.equal(args.src, path.join(cache, 'models--sealens-test--cli-vlm', 'snapshots', repo.commit));
      assert.equal(args.repo, 'sealens-test/cli-vlm');
      assert.equal(args.revision, repo.commit);
      // Gated-style errors and a wrong revision keep their codes through the CLI.
      const wrong = await cli(['pack', 'init', 'sealens-test/cli-vlm@nope', '--python', FULL_PYTHON], { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cache });
      assert.equal(wrong.code, 7, wrong.err);
      assert.match(wrong.err, /has no revision "nope"/);
      const denied = await cli(['pack', 'init', gated.id, '--python', FULL_PYTHON], { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cache, HF_TOKEN: '' , HF_HOME: path.join(tmp, 'no-home') });
      assert.equal(denied.code, 8, denied.err);
      assert.match(denied.err, /gated or private and no token is set/);
      const offline = await cli(['pack', 'init', 'sealens-test/other', '--python', FULL_PYTHON], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
      assert.equal(offline.code, 7);
      assert.match(offline.err, /HF_HUB_OFFLINE is set/);
      const full = await cli(['pack', 'init', 'sealens-test/cli-vlm', '--python', FULL_PYTHON, '--out', path.join(work, 'p2')], { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: path.join(tmp, 'empty-cache') });
      assert.equal(full.code, 9, full.err);
      assert.ok(!existsSync(path.join(work, 'p2')));
    } finally {
      process.chdir(cwd);
    }
  });

  it('a folder in the HF cache passes its repo and commit to the exporter', async (t) => {
    if (!FULL_PYTHON) return t.skip(NO_FULL);
    const snap = path.join(tmp, 'hub2', 'models--org--m', 'snapshots', 'b'.repeat(40));
    mkdirSync(snap, { recursive: true });
    writeFileSync(path.join(tmp, 'hub2', 'models--org--m', 'snapshots', 'cfg'), '{}');
    symlinkSync('../cfg', path.join(snap, 'config.json'));
    const out = path.join(tmp, 'from-cache');
    const r = await cli(['pack', 'init', snap, '--out', out, '--python', FULL_PYTHON], { FAKE_MODE: 'ok' });
    assert.equal(r.code, 0, r.err);
    const args = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).args;
    assert.deepEqual([args.repo, args.revision], ['org/m', 'b'.repeat(40)]);
  });
});
