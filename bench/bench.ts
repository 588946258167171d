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
  coldMs?: number; warmMs?: number; stagesMs?: Record<string, number>;
  torchWarmMs?: number; torchColdMs?: number; ratio?: number;
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
      let stages: Record<string, number> = {};
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        const m = await engine.explain({ image, pack: dir, device });
        warm.push(performance.now() - t);
        stages = m.timings;
      }
      const row: Row = { pack: label, device, status: 'ok', coldMs, warmMs: median(warm), stagesMs: stages };
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

/** PyTorch eager on the same pixels and candidates (fixture-built encoders only: arch.json + weights). */
async function torchReference(engine: Engine, dir: string, image: string, reps: number): Promise<Partial<Row>> {
  if (!existsSync(path.join(dir, 'encoder', 'arch.json'))) return {};
  const pack = await engine.getPack(dir, 'cpu');
  const enc = await encodeImage(pack, image);
  const index = await pack.searchIndex({});
  const pixels = path.join(TMP, 'pixels.f32');
  const cands = path.join(TMP, 'candidates.json');
  writeFileSync(pixels, new Uint8Array(enc.pre.pixels.buffer));
  writeFileSync(cands, JSON.stringify(index.candidates.map((c) => c.ids)));
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'torch_reference.py'), dir, pixels, cands, '5', String(reps)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) return { torchWarmMs: undefined };
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { torchWarmMs: j.warm_ms, torchColdMs: j.cold_ms };
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
  console.log(`\nSEA Lens bench — ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; times in ms (median)\n`);
  console.log('pack                                 device  cold     warm    torch warm  torch/ours  search onnx  search js  candidates');
  for (const r of rows) {
    if (r.status !== 'ok') {
      console.log(`${r.pack.padEnd(37)}${r.device.padEnd(8)}${r.status}`);
      continue;
    }
    const ours = r.stagesMs ? r.stagesMs.encoder + r.stagesMs.adapter + r.stagesMs.search : undefined;
    r.ratio = r.torchWarmMs && ours ? r.torchWarmMs / ours : undefined;
    console.log(`${r.pack.padEnd(37)}${r.device.padEnd(8)}${f(r.coldMs).padStart(7)}  ${f(r.warmMs).padStart(7)}  ${f(r.torchWarmMs).padStart(10)}  ${(r.ratio ? r.ratio.toFixed(2) + '×' : '—').padStart(10)}  ${f(r.searchOnnxMs).padStart(11)}  ${f(r.searchJsMs).padStart(9)}  ${String(r.candidates ?? '—').padStart(10)}`);
  }
  console.log('\nwarm = whole explain (decode + preprocess + encoder + adapter + search); torch/ours compares encoder+adapter+search only, same pixels and candidates, 2 threads.');
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
