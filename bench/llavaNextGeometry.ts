// LLaVA-NeXT-7B geometry on our CPU: a random-weight LlavaNextForConditionalGeneration with CLIP ViT-L/14-336
// (24 layers, read at −2), the mlp2x_gelu projector 1024→4096→4096, a 32,000×4,096 embedding table (fp16, as
// the real checkpoint ships) and the default pinpoints, opened with `pack init`, then warm explain of a
// 672×672 image: 5 views (base + 2×2 tiles) → 2,880 patch tokens + 48 newlines. Prints one JSON row with the
// median warm time, its CPU time and the stage times.
// Run: node --import tsx bench/llavaNextGeometry.ts [--reps N] [--json FILE]
// The checkpoint (≈ 0.9 GB) and pack are built once under .test-artifacts/llava-next-bench with <repo>/.venv.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../src/engine/engine';

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, '.test-artifacts', 'llava-next-bench');
const VENV_PY = path.join(ROOT, '.venv', 'bin', 'python');
const TOKENIZER = path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama2', 'models');
const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// LLaVA-NeXT-7B's vision side with random weights; the LLM has no decoder layers (the pack never reads them).
const BUILD = `
import shutil, sys, torch
from transformers import CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration
from transformers.models.llava_next.image_processing_llava_next import LlavaNextImageProcessor
out, tok = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                          image_size=336, patch_size=14, projection_dim=768)
text = LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=16, num_hidden_layers=0,
                   num_attention_heads=32, num_key_value_heads=32, tie_word_embeddings=True)
cfg = LlavaNextConfig(vision_config=vision, text_config=text, vision_feature_layer=-2, vision_feature_select_strategy="default",
                      image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]], tie_word_embeddings=True)
model = LlavaNextForConditionalGeneration(cfg).eval().half()
model.save_pretrained(out, safe_serialization=True, max_shard_size="2GB")
LlavaNextImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}).save_pretrained(out)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copyfile(f"{tok}/{f}", f"{out}/{f}")
`;

function run(cmd: string, argv: string[], what: string): void {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python') }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).slice(-1500)}`);
}

function buildPack(): string {
  const pack = path.join(DIR, 'pack');
  if (existsSync(path.join(DIR, 'READY'))) return pack;
  if (!existsSync(VENV_PY)) throw new Error(`${VENV_PY} is missing: run \`node scripts/ensure-python.mjs\` first`);
  mkdirSync(DIR, { recursive: true });
  const ckpt = path.join(DIR, 'ckpt');
  console.error('llava-next bench: building the random-weight checkpoint…');
  run(VENV_PY, ['-c', BUILD, ckpt, TOKENIZER], 'building the checkpoint');
  console.error('llava-next bench: pack init (ONNX export of ViT-L/14-336)…');
  run(VENV_PY, ['-m', 'sealens.hfpack', 'init', '--src', ckpt, '--out', pack], 'pack init');
  writeFileSync(path.join(DIR, 'READY'), '');
  return pack;
}

async function main(): Promise<void> {
  const reps = Number(opt('--reps') ?? 3);
  const pack = buildPack();
  const image = path.join(DIR, 'image-672.png');
  const noise = Buffer.alloc(672 * 672 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  await sharp(noise, { raw: { width: 672, height: 672, channels: 3 } }).png().toFile(image);
  const engine = new Engine();
  try {
    const t0 = performance.now();
    const first = await engine.explain({ image, pack, device: 'cpu' });
    const coldMs = performance.now() - t0;
    const warm: number[] = [];
    const cpu: number[] = [];
    const stages: Record<string, number[]> = {};
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const m = await engine.explain({ image, pack, device: 'cpu' });
      warm.push(performance.now() - t);
      const u = process.cpuUsage(c);
      cpu.push((u.user + u.system) / 1000);
      for (const [k, v] of Object.entries(m.timings)) (stages[k] ??= []).push(v);
    }
    const row = {
      pack: 'LLaVA-NeXT-7B geometry (random CLIP ViT-L/14-336, 1024→4096→4096, 32,000×4,096)', device: 'cpu', cpus: os.cpus().length,
      tokens: first.patches.length, patchTokens: first.patches.filter((p) => p.kind === 'patch').length, views: first.views.length,
      coldMs: Math.round(coldMs), warmMs: Math.round(median(warm)), warmRangeMs: [Math.round(Math.min(...warm)), Math.round(Math.max(...warm))],
      // CPU time of the whole process per warm explain: the work done, which other load on the machine does not
      // inflate the way it inflates wall time; / cores is the wall time on an idle machine if all cores stay busy.
      warmCpuMs: Math.round(median(cpu)), loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(median(v))])),
    };
    console.log(JSON.stringify(row));
    const json = opt('--json');
    if (json) writeFileSync(json, JSON.stringify(row, null, 1));
  } finally {
    await engine.dispose();
  }
}

main().catch((e) => {
  console.error(`llava-next bench: ${(e as Error).message}`);
  process.exit(1);
});
