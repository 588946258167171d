// npm run bench: cold and warm explain latency per available execution provider, on the demo pack (when
// present), a tiny fixture pack and a real-size pack with random weights (ViT-B/16 at 224 px, adapter
// 768→896→896, 151,936×896 vocabulary), each next to a PyTorch eager run of the same pipeline
// (encoder → adapter → cosine top-k) timed in the same run. Also: the cold explain on a pack's first use
// (empty decoded-vocabulary cache) and later (cached), and what a vocabulary-filter change costs.
// Options: --json FILE, --no-realsize, --reps N, --only demo|fixture|realsize|llava, --realsize-pack DIR,
// --llava (LLaVA-1.5 geometry: ViT-L/14-336, 1024→4096→4096, 32,000×4,096; built by make_bench_packs.py),
// --llava-pack DIR, --torch-cuda (GPU rows are compared with PyTorch on CUDA; scripts/bench-gpu.sh), --no-js-search.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../src/engine/engine';
import { encodeImage, project } from '../src/engine/pipeline';
import type { PreprocessedImage } from '../src/engine/preprocess';
import type { Device } from '../src/shared/tokenMap';
import { PYTHON, ROOT, TOKENIZER_DIRS, buildRealsizePack, fixturePacks } from '../test/fixtures/fixturePacks';
import { jsTopK } from './jsSearch';

interface Row {
  pack: string; device: Device; status: string;
  coldMs?: number; warmMs?: number; modelMs?: number; stagesMs?: Record<string, number>;
  torchWarmMs?: number; torchColdMs?: number; ratio?: number; top1Agree?: number; torchNote?: string; torchDevice?: string;
  searchOnnxMs?: number; searchJsMs?: number; candidates?: number;
  /** Cold explain with the decoded vocabulary already cached (every use of a pack after its first). */
  coldCachedMs?: number;
  /** Slowest of two vocabulary-filter changes (pack.searchIndex with new filters). */
  filterMs?: number;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TMP = path.join(ROOT, '.test-artifacts', 'bench');

async function benchPack(label: string, dir: string, image: string, reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const device of ['cpu', 'webgpu', 'cuda'] as Device[]) {
    // The first cold explain of each device decodes the vocabulary (an empty cache, as on a pack's first use).
    const cacheDir = path.join(TMP, 'vocabulary-cache');
    rmSync(cacheDir, { recursive: true, force: true });
    process.env.SEA_LENS_CACHE_DIR = cacheDir;
    const engine = new Engine();
    try {
      const t0 = performance.now();
      await engine.explain({ image, pack: dir, device });
      const coldMs = performance.now() - t0;
      const warm: number[] = [];
      const model: number[] = [];
      let stages: Record<string, number> = {};
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        const m = await engine.explain({ image, pack: dir, device });
        warm.push(performance.now() - t);
        stages = m.timings;
        model.push(stages.encoder + stages.adapter + stages.search);
      }
      // modelMs: median over the reps of encoder + adapter + search, the part PyTorch is compared against
      // (one rep's stage times alone are too noisy on a shared 2-core machine).
      const row: Row = { pack: label, device, status: 'ok', coldMs, warmMs: median(warm), modelMs: median(model), stagesMs: stages };
      row.filterMs = await filterChange(engine, dir, device);
      if (device === 'cpu') Object.assign(row, await compareSearch(engine, dir, image), await torchReference(engine, dir, image, reps, device, 'cpu'));
      else if (flag('--torch-cuda')) Object.assign(row, await torchReference(engine, dir, image, reps, device, 'cuda'));
      row.coldCachedMs = await coldExplain(dir, image, device);
      rows.push(row);
    } catch (e) {
      rows.push({ pack: label, device, status: `unavailable: ${(e as Error).message.split('\n')[0].slice(0, 110)}` });
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

/** A fresh engine's first explain (the vocabulary cache now filled by the first one). */
async function coldExplain(dir: string, image: string, device: Device): Promise<number> {
  const engine = new Engine();
  try {
    const t0 = performance.now();
    await engine.explain({ image, pack: dir, device });
    return performance.now() - t0;
  } finally {
    await engine.dispose();
  }
}

/** What changing the vocabulary filters costs once the pack is loaded: the slower of two changes. */
async function filterChange(engine: Engine, dir: string, device: Device): Promise<number> {
  const pack = await engine.getPack(dir, device);
  let worst = 0;
  for (const filters of [{ stopwords: false }, { special: false, punctuation: false }]) {
    const t0 = performance.now();
    await pack.searchIndex(filters);
    worst = Math.max(worst, performance.now() - t0);
  }
  return worst;
}

/** ONNX MatMul+TopK vs the JS loop on the same projected tokens and table. */
async function compareSearch(engine: Engine, dir: string, image: string) {
  const pack = await engine.getPack(dir, 'cpu');
  const index = await pack.searchIndex({});
  const enc = await encodeImage(pack, image);
  const { data: x, count: n } = await project(pack, pack.adapters.get(pack.defaultAdapter)!, enc);
  const time = async (f: () => unknown, reps: number) => {
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await f();
      ts.push(performance.now() - t);
    }
    return median(ts);
  };
  const searchOnnxMs = await time(() => index.search(x, n, 5), 5);
  const jsReps = index.size * n > 5e6 ? 1 : 5;
  // --no-js-search: the plain loop takes minutes on the large packs; the GPU bench skips it.
  const searchJsMs = flag('--no-js-search') ? undefined : await time(() => jsTopK(x, n, index.table, index.size, index.width, 5), jsReps);
  return { searchOnnxMs, searchJsMs, candidates: index.size };
}

/** PyTorch eager on the same pixels and candidates (bench/torch_reference.py). Its timing is reported only
 * when its top-1 word agrees with the engine's for at least 99 % of patches: otherwise it would be timing a
 * different computation. */
async function torchReference(engine: Engine, dir: string, image: string, reps: number, device: Device, torchDevice: 'cpu' | 'cuda'): Promise<Partial<Row>> {
  const pack = await engine.getPack(dir, device);
  const enc = await encodeImage(pack, image);
  const index = await pack.searchIndex({});
  const { data: projected, count: n } = await project(pack, pack.adapters.get(pack.defaultAdapter)!, enc);
  const ours = await index.search(projected, n, 5);
  const pixels = path.join(TMP, 'pixels.f32');
  const cands = path.join(TMP, 'candidates.json');
  // Bench packs are grid packs: their encodeImage keeps the whole PreprocessedImage (one view, its pixels).
  const pre = enc.pre as PreprocessedImage;
  writeFileSync(pixels, new Uint8Array(pre.pixels.buffer, pre.pixels.byteOffset, pre.pixels.byteLength));
  writeFileSync(cands, JSON.stringify(index.candidates.map((c) => c.ids)));
  // Thread settings: SEA_LENS_CPU_THREADS when set (both sides use exactly that), else PyTorch tries one thread
  // and one per core, alternating, and keeps its faster median — the engine picks 1 or the pool by graph size,
  // so PyTorch gets its best choice too. Idle threads sleep instead of spinning on both sides (the engine
  // switches spinning off): with OpenMP's default spinning, torch's 2 threads next to another busy process
  // measured 45-300 ms instead of 3-4 ms on the demo pack.
  const cores = os.availableParallelism();
  const threads = process.env.SEA_LENS_CPU_THREADS ?? (cores > 1 ? `1,${cores}` : '1');
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'torch_reference.py'), dir, pixels, cands, '5', String(reps)], {
    encoding: 'utf8', maxBuffer: 1 << 26, env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env, BENCH_THREADS: threads, BENCH_DEVICE: torchDevice },
  });
  if (r.status !== 0) {
    const why = (r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 140);
    console.error(`bench: PyTorch reference failed on ${dir}: ${why}`);
    return { torchNote: `torch (${torchDevice}) failed: ${why}`, torchDevice };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { warm_ms: number; cold_ms: number; top1: number[]; encoder: string; threads: number; warm_ms_by_threads: Record<string, number> };
  if (j.top1.length !== n) return { torchNote: `torch gave ${j.top1.length} patches, engine ${n}`, torchDevice };
  let same = 0;
  for (let p = 0; p < n; p++) if (j.top1[p] === ours.indices[p * ours.k]) same++;
  const top1Agree = same / n;
  const by = Object.entries(j.warm_ms_by_threads).map(([t, v]) => `${t} thread${t === '1' ? '' : 's'} ${v.toFixed(2)} ms`).join(', ');
  console.error(`bench: PyTorch reference on ${torchDevice} (${j.encoder}; warm median ${by}; best ${j.threads}) on ${path.basename(dir)}: top-1 agrees on ${same}/${n} patches`);
  if (top1Agree < 0.99) return { top1Agree, torchDevice, torchNote: `torch top-1 agrees on only ${same}/${n} patches; timing not compared` };
  return { torchWarmMs: j.warm_ms, torchColdMs: j.cold_ms, top1Agree, torchDevice };
}

/** The LLaVA-1.5-geometry pack (1.2 GB encoder), built once into .test-artifacts/bench-packs; undefined if it cannot be. */
function buildLlavaPack(): string | undefined {
  const out = path.join(ROOT, '.test-artifacts', 'bench-packs');
  if (!existsSync(path.join(out, 'READY-llava'))) {
    console.error('bench: building the LLaVA-1.5-geometry pack (ViT-L/14-336, random weights; a few minutes)…');
    const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'make_bench_packs.py'), out, '--only', 'llava', '--llama-tokenizer', TOKENIZER_DIRS.llama, '--qwen-tokenizer', TOKENIZER_DIRS.qwen], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) {
      console.error(`bench: the LLaVA-geometry pack could not be built (exit ${r.status}); row skipped`);
      return undefined;
    }
  }
  return path.join(out, 'llava');
}

async function main() {
  mkdirSync(TMP, { recursive: true });
  const reps = Number(opt('--reps') ?? 20);
  const rows: Row[] = [];
  const demo = path.join(ROOT, 'media', 'demo-pack');
  const sample = path.join(TMP, 'sample.png');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#7a5' } }).png().toFile(sample);
  const only = opt('--only');
  const want = (what: string) => !only || only === what;
  if (!want('demo')) {
    /* skipped by --only */
  } else if (existsSync(path.join(demo, 'manifest.json'))) {
    const samples = path.join(ROOT, 'media', 'samples');
    const img = existsSync(samples) ? (await import('../src/engine/engine')).listImages(samples).then((l) => l[0] ?? sample) : Promise.resolve(sample);
    rows.push(...(await benchPack('demo pack', demo, await img, reps)));
  } else {
    console.error('bench: media/demo-pack is not there yet; skipping it');
  }
  const fx = fixturePacks();
  if (!want('fixture')) {
    /* skipped by --only */
  } else if (fx.dir) rows.push(...(await benchPack('fixture clip (tiny)', path.join(fx.dir, 'clip'), sample, reps)));
  else console.error(`bench: ${fx.skip}`);
  const realsizePack = opt('--realsize-pack');
  if (!flag('--no-realsize') && (realsizePack || !fx.skip) && want('realsize')) {
    console.error('bench: building/using the real-size pack (.test-artifacts/realsize-pack)…');
    rows.push(...(await benchPack('real-size ViT-B/16 + 151,936 vocab', realsizePack ?? buildRealsizePack(), sample, Math.min(reps, 5))));
  }
  if ((flag('--llava') || opt('--llava-pack')) && want('llava')) {
    const dir = opt('--llava-pack') ?? buildLlavaPack();
    const big = path.join(TMP, 'sample-336.png');
    await sharp({ create: { width: 480, height: 360, channels: 3, background: '#48a' } }).png().toFile(big);
    if (dir) rows.push(...(await benchPack('LLaVA-1.5: ViT-L/14-336 + 32,000×4,096', dir, big, Math.min(reps, 5))));
  }
  const f = (x?: number) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log(`\nSEA Lens bench — ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; times in ms (median)\n`);
  console.log('pack                                      device  cold 1st  cold     warm    model   filter  torch on  torch warm  torch/ours  top-1 same  search onnx  search js  candidates');
  const notes: string[] = [];
  for (const r of rows) {
    if (r.status !== 'ok') {
      console.log(`${r.pack.padEnd(42)}${r.device.padEnd(8)}${r.status}`);
      continue;
    }
    r.ratio = r.torchWarmMs && r.modelMs ? r.torchWarmMs / r.modelMs : undefined;
    if (r.torchNote) notes.push(`${r.pack}: ${r.torchNote}`);
    console.log(`${r.pack.padEnd(42)}${r.device.padEnd(8)}${f(r.coldMs).padStart(8)}  ${f(r.coldCachedMs).padStart(7)}  ${f(r.warmMs).padStart(7)}  ${f(r.modelMs).padStart(6)}  ${f(r.filterMs).padStart(6)}  ${(r.torchDevice ?? '—').padStart(8)}  ${f(r.torchWarmMs).padStart(10)}  ${(r.ratio ? r.ratio.toFixed(2) + '×' : '—').padStart(10)}  ${(r.top1Agree === undefined ? '—' : (100 * r.top1Agree).toFixed(1) + ' %').padStart(10)}  ${f(r.searchOnnxMs).padStart(11)}  ${f(r.searchJsMs).padStart(9)}  ${String(r.candidates ?? '—').padStart(10)}`);
  }
  console.log('\ncold 1st = first explain of a fresh engine with an empty vocabulary cache (a pack\'s first use); cold = the same with the cache filled (every later use); filter = a vocabulary-filter change on the loaded pack;');
  console.log('warm = whole explain (decode + preprocess + encoder + adapter + search); model = encoder + adapter + search; torch/ours = torch warm / model, same pixels and candidates, PyTorch at the faster of 1 and one-per-core threads (or SEA_LENS_CPU_THREADS on both sides); top-1 same = patches whose nearest word is the same in both (the ratio is shown only at ≥ 99 %).');
  for (const note of notes) console.log(`note — ${note}`);
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
