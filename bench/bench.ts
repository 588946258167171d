// npm run bench: cold and warm explain latency per available execution provider, on the demo pack (when
// present), a tiny fixture pack and a real-size pack with random weights (ViT-B/16 at 224 px, adapter
// 768→896→896, 151,936×896 vocabulary), each next to a PyTorch eager run of the same pipeline
// (encoder → adapter → cosine top-k) timed in the same run.
// Options: --json FILE, --no-realsize, --reps N, --only demo|fixture|realsize.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../src/engine/engine';
import { encodeImage, project } from '../src/engine/pipeline';
import type { Device } from '../src/shared/tokenMap';
import { PYTHON, ROOT, buildRealsizePack, fixturePacks } from '../test/fixtures/fixturePacks';
import { jsTopK } from './jsSearch';

interface Row {
  pack: string; device: Device; status: string;
  coldMs?: number; warmMs?: number; modelMs?: number; stagesMs?: Record<string, number>;
  torchWarmMs?: number; torchColdMs?: number; ratio?: number; top1Agree?: number; torchNote?: string;
  searchOnnxMs?: number; searchJsMs?: number; candidates?: number;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TMP = path.join(ROOT, '.test-artifacts', 'bench');

async function benchPack(label: string, dir: string, image: string, reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const device of ['cpu', 'webgpu', 'cuda'] as Device[]) {
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
      if (device === 'cpu') Object.assign(row, await compareSearch(engine, dir, image), await torchReference(engine, dir, image, reps));
      rows.push(row);
    } catch (e) {
      rows.push({ pack: label, device, status: `unavailable: ${(e as Error).message.split('\n')[0].slice(0, 110)}` });
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

/** ONNX MatMul+TopK vs the JS loop on the same projected tokens and table. */
async function compareSearch(engine: Engine, dir: string, image: string) {
  const pack = await engine.getPack(dir, 'cpu');
  const index = await pack.searchIndex({});
  const enc = await encodeImage(pack, image);
  const x = await project(pack, pack.adapters.get(pack.defaultAdapter)!, enc.features);
  const n = pack.grid.rows * pack.grid.cols;
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
  const searchJsMs = await time(() => jsTopK(x, n, index.table, index.size, index.width, 5), jsReps);
  return { searchOnnxMs, searchJsMs, candidates: index.size };
}

/** PyTorch eager on the same pixels and candidates (bench/torch_reference.py). Its timing is reported only
 * when its top-1 word agrees with the engine's for at least 99 % of patches: otherwise it would be timing a
 * different computation. */
async function torchReference(engine: Engine, dir: string, image: string, reps: number): Promise<Partial<Row>> {
  const pack = await engine.getPack(dir, 'cpu');
  const enc = await encodeImage(pack, image);
  const index = await pack.searchIndex({});
  const n = pack.grid.rows * pack.grid.cols;
  const ours = await index.search(await project(pack, pack.adapters.get(pack.defaultAdapter)!, enc.features), n, 5);
  const pixels = path.join(TMP, 'pixels.f32');
  const cands = path.join(TMP, 'candidates.json');
  writeFileSync(pixels, new Uint8Array(enc.pre.pixels.buffer, enc.pre.pixels.byteOffset, enc.pre.pixels.byteLength));
  writeFileSync(cands, JSON.stringify(index.candidates.map((c) => c.ids)));
  // Thread settings: SEA_LENS_CPU_THREADS when set (both sides use exactly that), else PyTorch tries one thread
  // and one per core, alternating, and keeps its faster median — the engine picks 1 or the pool by graph size,
  // so PyTorch gets its best choice too. Idle threads sleep instead of spinning on both sides (the engine
  // switches spinning off): with OpenMP's default spinning, torch's 2 threads next to another busy process
  // measured 45-300 ms instead of 3-4 ms on the demo pack.
  const cores = os.availableParallelism();
  const threads = process.env.SEA_LENS_CPU_THREADS ?? (cores > 1 ? `1,${cores}` : '1');
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'torch_reference.py'), dir, pixels, cands, '5', String(reps)], {
    encoding: 'utf8', maxBuffer: 1 << 26, env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env, BENCH_THREADS: threads },
  });
  if (r.status !== 0) {
    const why = (r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 140);
    console.error(`bench: PyTorch reference failed on ${dir}: ${why}`);
    return { torchNote: `torch failed: ${why}` };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { warm_ms: number; cold_ms: number; top1: number[]; encoder: string; threads: number; warm_ms_by_threads: Record<string, number> };
  if (j.top1.length !== n) return { torchNote: `torch gave ${j.top1.length} patches, engine ${n}` };
  let same = 0;
  for (let p = 0; p < n; p++) if (j.top1[p] === ours.indices[p * ours.k]) same++;
  const top1Agree = same / n;
  const by = Object.entries(j.warm_ms_by_threads).map(([t, v]) => `${t} thread${t === '1' ? '' : 's'} ${v.toFixed(2)} ms`).join(', ');
  console.error(`bench: PyTorch reference (${j.encoder}; warm median ${by}; best ${j.threads}) on ${path.basename(dir)}: top-1 agrees on ${same}/${n} patches`);
  if (top1Agree < 0.99) return { top1Agree, torchNote: `torch top-1 agrees on only ${same}/${n} patches; timing not compared` };
  return { torchWarmMs: j.warm_ms, torchColdMs: j.cold_ms, top1Agree };
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
  if (!flag('--no-realsize') && !fx.skip && want('realsize')) {
    console.error('bench: building/using the real-size pack (.test-artifacts/realsize-pack)…');
    rows.push(...(await benchPack('real-size ViT-B/16 + 151,936 vocab', buildRealsizePack(), sample, Math.min(reps, 5))));
  }
  const f = (x?: number) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log(`\nSEA Lens bench — ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; times in ms (median)\n`);
  console.log('pack                                 device  cold     warm    model   torch warm  torch/ours  top-1 same  search onnx  search js  candidates');
  const notes: string[] = [];
  for (const r of rows) {
    if (r.status !== 'ok') {
      console.log(`${r.pack.padEnd(37)}${r.device.padEnd(8)}${r.status}`);
      continue;
    }
    r.ratio = r.torchWarmMs && r.modelMs ? r.torchWarmMs / r.modelMs : undefined;
    if (r.torchNote) notes.push(`${r.pack}: ${r.torchNote}`);
    console.log(`${r.pack.padEnd(37)}${r.device.padEnd(8)}${f(r.coldMs).padStart(7)}  ${f(r.warmMs).padStart(7)}  ${f(r.modelMs).padStart(6)}  ${f(r.torchWarmMs).padStart(10)}  ${(r.ratio ? r.ratio.toFixed(2) + '×' : '—').padStart(10)}  ${(r.top1Agree === undefined ? '—' : (100 * r.top1Agree).toFixed(1) + ' %').padStart(10)}  ${f(r.searchOnnxMs).padStart(11)}  ${f(r.searchJsMs).padStart(9)}  ${String(r.candidates ?? '—').padStart(10)}`);
  }
  console.log('\nwarm = whole explain (decode + preprocess + encoder + adapter + search); model = encoder + adapter + search; torch/ours = torch warm / model, same pixels and candidates, PyTorch at the faster of 1 and one-per-core threads (or SEA_LENS_CPU_THREADS on both sides); top-1 same = patches whose nearest word is the same in both (the ratio is shown only at ≥ 99 %).');
  for (const note of notes) console.log(`note — ${note}`);
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
