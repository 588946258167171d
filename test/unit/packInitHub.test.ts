// `sea-lens pack init org/name` end to end with the REAL exporter: a tiny random-weight LLaVA saved by
// transformers (three safetensors shards: embed_tokens, lm_head, the rest) is served by the local Hub
// server; pack init downloads only the shards an explain needs, the exporter makes the pack from the cache
// snapshot (the embedding table read in place through the snapshot's symlink into blobs/), and the engine
// explains an image with it. With HF_HUB_OFFLINE=1 the cache alone serves the snapshot.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/cli';
import { downloadForExplain } from '../../src/hub/downloadForExplain';
import type { TokenMap } from '../../src/shared/tokenMap';
import { HubFixtureServer, type FixtureRepo } from './hubFixtureServer';

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, '.test-artifacts', 'pack-init-hub');
const CKPT = path.join(ROOT, '.test-artifacts', 'tiny-llava-sharded');
const TOKENIZER = path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama2', 'models');
const PYTHON = [path.join(ROOT, '.venv', 'bin', 'python'), '/tmp/tv/bin/python'].find((p) => existsSync(p)
  && spawnSync(p, ['-c', 'import importlib.util as u; assert all(u.find_spec(m) for m in ("torch", "onnx", "transformers"))'], { timeout: 60_000 }).status === 0);

const MAKE = `
import sys, shutil
from pathlib import Path
import torch
from transformers import CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
out, tok = Path(sys.argv[1]), Path(sys.argv[2])
torch.manual_seed(0)
vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, image_size=56, patch_size=14, projection_dim=32)
text = LlamaConfig(vocab_size=32064, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4)
cfg = LlavaConfig(vision_config=vision, text_config=text, vision_feature_layer=-2, vision_feature_select_strategy="default", image_token_index=32000)
model = LlavaForConditionalGeneration(cfg).eval()
model.save_pretrained(str(out), safe_serialization=True, max_shard_size="1MB")
CLIPImageProcessor(size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}).save_pretrained(str(out))
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copyfile(tok / f, out / f)
png = __import__("numpy").random.default_rng(0).integers(0, 256, (56, 56, 3)).astype("uint8")
__import__("PIL.Image").Image.fromarray(png).save(str(out.parent / "tiny-llava-image.png"))
`;

async function cli(argv: string[], env: Record<string, string>) {
  let out = '', err = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(argv, { installDir: ROOT, stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe('pack init from the Hub with the real exporter', () => {
  let server: HubFixtureServer | undefined;
  let repo: FixtureRepo;
  before(async () => {
    if (!PYTHON) return;
    // Built once (about 40 s on two cores) and kept while the script that makes it is unchanged.
    const stamp = path.join(path.dirname(CKPT), 'tiny-llava-sharded.READY');
    const version = createHash('sha256').update(MAKE).digest('hex');
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== version) {
      rmSync(CKPT, { recursive: true, force: true });
      mkdirSync(CKPT, { recursive: true });
      await promisify(execFile)(PYTHON, ['-c', MAKE, CKPT, TOKENIZER], { timeout: 600_000 });
      writeFileSync(stamp, version);
    }
    const files = readdirSync(CKPT).map((name) => ({ name, data: readFileSync(path.join(CKPT, name)), lfs: /\.safetensors$|^tokenizer\.json$/.test(name) }));
    repo = { id: 'sealens-test/tiny-llava', commit: 'e'.repeat(40), refs: { main: 'e'.repeat(40) }, files };
    server = await new HubFixtureServer([repo]).start();
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });
  after(async () => server?.stop());

  it('downloads only the needed shards, exports a pack that reads embed_tokens from the cache, and explains an image; offline, the cache alone serves', async (t) => {
    if (!PYTHON || !server) return t.skip('no Python with torch, onnx and transformers (node scripts/ensure-python.mjs makes .venv)');
    const index = JSON.parse(readFileSync(path.join(CKPT, 'model.safetensors.index.json'), 'utf8')).weight_map as Record<string, string>;
    const lmHeadShard = index['lm_head.weight'] ?? index['language_model.lm_head.weight'];
    const embedShard = Object.entries(index).find(([k]) => k.endsWith('embed_tokens.weight'))![1];
    assert.ok(lmHeadShard && lmHeadShard !== embedShard, 'the tiny checkpoint must keep lm_head in a shard of its own');
    const cache = path.join(WORK, 'cache');
    const pack = path.join(WORK, 'pack');
    const env = { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '' };
    const r = await cli(['pack', 'init', repo.id, '--out', pack, '--python', PYTHON], env);
    assert.equal(r.code, 0, r.err);
    const snapshot = path.join(cache, 'models--sealens-test--tiny-llava', 'snapshots', repo.commit);
    assert.ok(!existsSync(path.join(snapshot, lmHeadShard)), `${lmHeadShard} (lm_head only) was downloaded`);
    const manifest = JSON.parse(readFileSync(path.join(pack, 'manifest.json'), 'utf8'));
    assert.equal(manifest.model.checkpoint, snapshot);
    assert.equal(manifest.model.repo, repo.id);
    assert.equal(manifest.model.revision, repo.commit);
    assert.deepEqual(manifest.llm.embeddings, { file: embedShard, tensor: manifest.llm.embeddings.tensor, root: 'checkpoint' });
    assert.match(manifest.llm.embeddings.tensor, /embed_tokens\.weight$/);
    const image = path.join(path.dirname(CKPT), 'tiny-llava-image.png');
    const ex = await cli(['explain', image, '--pack', pack, '--device', 'cpu', '--top-k', '3'], {});
    assert.equal(ex.code, 0, ex.err);
    const tm = JSON.parse(ex.out) as TokenMap;
    assert.equal(tm.patches.filter((p) => p.kind === 'patch').length, 16);
    assert.ok(tm.patches.every((p) => p.words.length === 3));
    const inspect = await cli(['inspect', pack], {});
    assert.match(inspect.out, /embedding table: .*embed_tokens\.weight F32 \[32064, 64\].*read in place from the checkpoint/);
    // Offline, the cache alone serves the same snapshot (the exporter is not run twice: it costs ~40 s here).
    const n = server.log.length;
    const offline = await downloadForExplain({ repo: repo.id, revision: 'main' }, { env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' } });
    assert.equal(offline.snapshotDir, snapshot);
    assert.equal(server.log.length, n, 'the offline run asked the server');
    writeFileSync(path.join(WORK, 'done'), '');
  });
});
