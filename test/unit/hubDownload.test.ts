// The Hub client against a local server that answers like huggingface.co (hubFixtureServer.ts): only the
// needed shards, the shared cache layout, resume after a dropped connection, integrity, gated repos,
// wrong revisions, offline mode, disk full; and, where a Python with huggingface_hub exists, that
// huggingface_hub and SEA Lens read each other's cache.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadForExplain, type ExplainDownloadOptions } from '../../src/hub/downloadForExplain';
import { isHubError } from '../../src/hub/hubError';
import { hubCacheDir, hubEndpoint, hubOffline, hubToken } from '../../src/hub/hubEnvironment';
import { parseRepoSpec, repoFolderName } from '../../src/hub/hubRepoId';
import { isExplainWeight, neededShards, parseSafetensorsIndex } from '../../src/hub/explainFiles';
import { HubFixtureServer, sha256, shardedRepo, singleFileRepo, type FixtureRepo } from './hubFixtureServer';

const ROOT = path.resolve(__dirname, '..', '..');
const TINY = shardedRepo('sealens-test/tiny-vlm');
const GATED: FixtureRepo = { ...shardedRepo('sealens-test/gated-vlm', 4096), gatedToken: 'hf_right' };
const SINGLE = singleFileRepo('sealens-test/single');
// Its index names a shard the repo lacks (a broken upload).
const BROKEN: FixtureRepo = (() => {
  const r = shardedRepo('sealens-test/broken-upload', 2048);
  return { ...r, files: r.files.filter((f) => f.name !== 'model-00001-of-00003.safetensors') };
})();
const PICKLE: FixtureRepo = { id: 'sealens-test/pickle-only', commit: 'c'.repeat(40), refs: { main: 'c'.repeat(40) }, files: [
  { name: 'config.json', data: Buffer.from('{}'), lfs: false }, { name: 'pytorch_model.bin', data: Buffer.from('pickle'), lfs: true }] };

let server: HubFixtureServer;
let tmp: string;
const fresh = (name: string): string => {
  const d = path.join(tmp, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
};
const opts = (cacheDir: string, extra: Partial<ExplainDownloadOptions['settings']> = {}, more: ExplainDownloadOptions = {}): ExplainDownloadOptions =>
  ({ env: {}, settings: { endpoint: server.endpoint, cacheDir, offline: false, token: undefined, ...extra }, ...more });
const file = (repo: FixtureRepo, name: string) => repo.files.find((f) => f.name === name)!;

describe('Hub download for an explain', () => {
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sealens-hub-'));
    server = await new HubFixtureServer([TINY, GATED, SINGLE, PICKLE, BROKEN]).start();
  });
  after(async () => {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads configs, tokenizer, the index and ONLY the shard with the vision tower, projector and embed_tokens, in the huggingface_hub layout', async () => {
    const cache = fresh('layout');
    const events: number[] = [];
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { onProgress: (p) => events.push(p.fraction) }));
    const repoDir = path.join(cache, 'models--sealens-test--tiny-vlm');
    assert.equal(r.commit, TINY.commit);
    assert.equal(r.snapshotDir, path.join(repoDir, 'snapshots', TINY.commit));
    assert.equal(readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8'), TINY.commit);
    assert.deepEqual(r.files.sort(), ['config.json', 'model-00001-of-00003.safetensors', 'model.safetensors.index.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'].sort());
    const shard = path.join(r.snapshotDir, 'model-00001-of-00003.safetensors');
    assert.ok(lstatSync(shard).isSymbolicLink());
    assert.equal(readlinkSync(shard), path.join('..', '..', 'blobs', sha256(file(TINY, 'model-00001-of-00003.safetensors').data)));
    assert.deepEqual(readFileSync(shard), file(TINY, 'model-00001-of-00003.safetensors').data);
    assert.ok(!existsSync(path.join(r.snapshotDir, 'model-00002-of-00003.safetensors')));
    assert.ok(!existsSync(path.join(r.snapshotDir, 'generation_config.json')));
    const fetched = server.contentGets().map((g) => g.path);
    assert.ok(!fetched.some((p) => p.includes(sha256(file(TINY, 'model-00002-of-00003.safetensors').data))), 'shard 2 (LM layers) was fetched');
    assert.ok(!fetched.some((p) => p.includes(sha256(file(TINY, 'model-00003-of-00003.safetensors').data))), 'shard 3 (lm_head) was fetched');
    assert.equal(r.downloadedBytes, file(TINY, 'model-00001-of-00003.safetensors').data.length + ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json'].reduce((a, n) => a + file(TINY, n).data.length, 0));
    assert.equal(events.at(-1), 1);
    assert.ok(!server.log.some((l) => l.auth), 'no token was configured, none may be sent');
    // A second run finds everything in the cache: metadata only, no bytes.
    const before = server.contentGets().length;
    const again = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache));
    assert.equal(again.downloadedBytes, 0);
    assert.equal(server.contentGets().length, before);
  });

  it('INTERRUPTED - a dropped connection leaves a .incomplete file; the rerun resumes it with an HTTP Range request', async () => {
    const cache = fresh('resume');
    const shard = file(TINY, 'model-00001-of-00003.safetensors');
    const oid = sha256(shard.data);
    server.dropOnce.set(oid, 100_000);
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { retries: 0 })), (e) => {
      assert.ok(isHubError(e, 'network'), String(e));
      assert.match((e as Error).message, /model-00001-of-00003\.safetensors.*run again to resume/);
      return true;
    });
    const incomplete = path.join(cache, repoFolderName(TINY.id), 'blobs', `${oid}.incomplete`);
    const partial = statSync(incomplete).size;
    assert.ok(partial > 0 && partial < shard.data.length, `partial size ${partial}`);
    assert.ok(!existsSync(path.join(cache, repoFolderName(TINY.id), 'snapshots', TINY.commit, shard.name)), 'no snapshot entry for an unfinished file');
    const n = server.log.length;
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { retries: 0 }));
    const ranged = server.log.slice(n).filter((l) => l.path === `/cdn/${oid}`);
    assert.deepEqual(ranged.map((l) => l.range), [`bytes=${partial}-`]);
    assert.deepEqual(readFileSync(path.join(r.snapshotDir, shard.name)), shard.data);
    assert.ok(!existsSync(incomplete));
  });

  it('INTERRUPTED - within one call a dropped connection is resumed by itself (retries)', async () => {
    const cache = fresh('retry');
    const shard = file(TINY, 'model-00001-of-00003.safetensors');
    server.dropOnce.set(sha256(shard.data), 50_000);
    const n = server.log.length;
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache));
    assert.deepEqual(readFileSync(path.join(r.snapshotDir, shard.name)), shard.data);
    assert.ok(server.log.slice(n).some((l) => l.range && /^bytes=\d+-$/.test(l.range)), 'no Range request was made');
  });

  it('CANCEL - aborting mid-file rejects with "cancelled", keeps the partial file, and the rerun resumes it', async () => {
    const cache = fresh('cancel');
    const shard = file(TINY, 'model-00001-of-00003.safetensors');
    const oid = sha256(shard.data);
    server.dropOnce.set(oid, 120_000); // the bytes stop there, so the abort lands mid-file
    const ac = new AbortController();
    const incomplete = path.join(cache, repoFolderName(TINY.id), 'blobs', `${oid}.incomplete`);
    const hasBytes = (): boolean => existsSync(incomplete) && statSync(incomplete).size > 0;
    const run = downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { signal: ac.signal, retries: 0, onProgress: () => hasBytes() && ac.abort() }));
    // Cancelled once the shard has bytes on disk (or, if no progress event came in between, the drop ends it).
    await assert.rejects(run, (e) => isHubError(e, 'cancelled') || (isHubError(e, 'network') && /kept/.test(e.message)));
    server.dropOnce.delete(oid);
    const partial = existsSync(incomplete) ? statSync(incomplete).size : 0;
    assert.ok(partial > 0, 'the partial file was not kept');
    const n = server.log.length;
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache));
    assert.ok(server.log.slice(n).some((l) => l.range === `bytes=${partial}-`), 'the rerun did not resume');
    assert.deepEqual(readFileSync(path.join(r.snapshotDir, shard.name)), shard.data);
  });

  it('two downloads of the same model at once: the second waits for the first, each shard is fetched once, a stale lock is taken over', async () => {
    const cache = fresh('parallel');
    const oid = sha256(file(TINY, 'model-00001-of-00003.safetensors').data);
    const n = server.log.length;
    const logs: string[] = [];
    const [a, b] = await Promise.all([1, 2].map(() => downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { onLog: (l) => logs.push(l) }))));
    assert.equal(a.snapshotDir, b.snapshotDir);
    assert.equal(server.log.slice(n).filter((l) => l.method === 'GET' && l.path === `/cdn/${oid}`).length, 1);
    assert.match(logs.join('\n'), /waiting for another SEA Lens process \(pid \d+\)/);
    assert.deepEqual(readdirSync(path.join(cache, '.locks', repoFolderName(TINY.id))), [], 'a lock was left behind');
    // A lock whose owner is gone (a killed process) does not block.
    const cache2 = fresh('stale-lock');
    mkdirSync(path.join(cache2, '.locks', repoFolderName(TINY.id)), { recursive: true });
    writeFileSync(path.join(cache2, '.locks', repoFolderName(TINY.id), `${oid}.sealens-lock`), '999999999');
    await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache2));
  });

  it('INTEGRITY - bytes that do not match X-Linked-Etag (sha256) or the git ETag are refused and removed', async () => {
    for (const name of ['model-00001-of-00003.safetensors', 'tokenizer.json']) {
      const cache = fresh('corrupt');
      server.corrupt.add(name);
      try {
        await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache)), (e) => {
          assert.ok(isHubError(e, 'integrity'), String(e));
          assert.match((e as Error).message, new RegExp(`${name.replace(/\./g, '\\.')}: the downloaded bytes have sha(256|1) [0-9a-f]+, the Hub says`));
          return true;
        });
      } finally {
        server.corrupt.delete(name);
      }
      const blobs = path.join(cache, repoFolderName(TINY.id), 'blobs');
      const f = file(TINY, name);
      assert.ok(!existsSync(path.join(blobs, f.lfs ? sha256(f.data) : '')) || !f.lfs);
      assert.ok(!existsSync(path.join(cache, repoFolderName(TINY.id), 'snapshots', TINY.commit, name)), `${name} entered the snapshot`);
    }
  });

  it('BAD INPUT - a wrong revision or repo → revision-not-found / repo-not-found, nothing cached for it', async () => {
    const cache = fresh('wrong');
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'no-such-branch' }, opts(cache)), (e) => {
      assert.ok(isHubError(e, 'revision-not-found'), String(e));
      assert.match((e as Error).message, /sealens-test\/tiny-vlm has no revision "no-such-branch"/);
      return true;
    });
    await assert.rejects(downloadForExplain({ repo: 'sealens-test/nothing', revision: 'main' }, opts(cache)), (e) => isHubError(e, 'repo-not-found') && /no such model repo/.test(e.message));
    assert.ok(!existsSync(path.join(cache, repoFolderName(TINY.id), 'snapshots')));
  });

  it('GATED - without a token: 401 → says to accept the license and set HF_TOKEN; a wrong token: refused; HF_TOKEN or HF_HOME/token: works, and the token never goes to the CDN', async () => {
    const cache = fresh('gated');
    await assert.rejects(downloadForExplain({ repo: GATED.id, revision: 'main' }, opts(cache)), (e) => {
      assert.ok(isHubError(e, 'gated'), String(e));
      assert.match((e as Error).message, /gated or private and no token is set \(401\).*\/sealens-test\/gated-vlm.*HF_TOKEN/);
      return true;
    });
    await assert.rejects(downloadForExplain({ repo: GATED.id, revision: 'main' }, { env: { HF_TOKEN: 'hf_wrong', HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cache } }), (e) => isHubError(e, 'gated') && /token was refused \(403/.test(e.message));
    const home = fresh('hf-home');
    writeFileSync(path.join(home, 'token'), 'hf_right\n');
    const n = server.log.length;
    const r = await downloadForExplain({ repo: GATED.id, revision: 'main' }, { env: { HF_HOME: home, HF_ENDPOINT: server.endpoint } });
    assert.equal(r.snapshotDir, path.join(home, 'hub', repoFolderName(GATED.id), 'snapshots', GATED.commit));
    const cdn = server.log.slice(n).filter((l) => l.path.startsWith('/cdn/'));
    assert.ok(cdn.length > 0 && cdn.every((l) => !l.auth), 'the token was sent to the CDN');
    assert.ok(server.log.slice(n).filter((l) => l.path.includes('/resolve/')).every((l) => l.auth === 'Bearer hf_right'));
  });

  it('OFFLINE - HF_HUB_OFFLINE=1: an uncached model is a clear error; a cached one needs no request at all', async () => {
    const cache = fresh('offline');
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache, HF_ENDPOINT: server.endpoint } }), (e) => {
      assert.ok(isHubError(e, 'offline-missing'), String(e));
      assert.match((e as Error).message, /HF_HUB_OFFLINE is set.*not in the cache.*hf download sealens-test\/tiny-vlm/);
      return true;
    });
    await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache));
    const n = server.log.length;
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, { env: { HF_HUB_OFFLINE: 'true', HF_HUB_CACHE: cache, HF_ENDPOINT: server.endpoint } });
    assert.equal(server.log.length, n);
    assert.ok(r.fromCache);
    assert.equal(r.commit, TINY.commit);
    // A shard deleted from the cache is named.
    rmSync(path.join(r.snapshotDir, 'model-00001-of-00003.safetensors'));
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache } }), (e) => isHubError(e, 'offline-missing') && /lacks model-00001-of-00003\.safetensors/.test(e.message));
  });

  it('OFFLINE - an unreachable server falls back to a complete cached snapshot (as huggingface_hub does)', async () => {
    const cache = fresh('unreachable');
    await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache));
    const logs: string[] = [];
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, { endpoint: 'http://127.0.0.1:9' }, { onLog: (l) => logs.push(l) }));
    assert.ok(r.fromCache);
    assert.match(logs.join('\n'), /cannot reach http:\/\/127\.0\.0\.1:9.*using the cached snapshot/);
    await assert.rejects(downloadForExplain({ repo: SINGLE.id, revision: 'main' }, opts(cache, { endpoint: 'http://127.0.0.1:9' })), (e) => isHubError(e, 'network') && /HF_ENDPOINT/.test(e.message));
  });

  it('DISK FULL - too little free space is refused before any weight is fetched; ENOSPC while writing says so and keeps the partial file', async () => {
    const cache = fresh('full');
    const n = server.contentGets().length;
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache, {}, { freeBytes: () => 1000 })), (e) => {
      assert.ok(isHubError(e, 'disk-full'), String(e));
      assert.match((e as Error).message, /still to download need [\d.]+ MB but .*blobs has 0\.0 MB free; free space or point HF_HUB_CACHE/);
      return true;
    });
    // Only the index (a few kB, which says which shards are needed) was fetched before the check.
    assert.deepEqual(server.contentGets().slice(n).map((g) => path.basename(g.path)), ['model.safetensors.index.json']);
    if (process.platform !== 'linux' || !existsSync('/dev/full')) return;
    // The kernel's /dev/full answers every write with ENOSPC: a real "disk full" for the shard's file.
    const cache2 = fresh('enospc');
    await downloadForExplain({ repo: SINGLE.id, revision: 'main' }, opts(cache2)).catch(() => undefined);
    const blobs = path.join(cache2, repoFolderName(TINY.id), 'blobs');
    mkdirSync(blobs, { recursive: true });
    symlinkSync('/dev/full', path.join(blobs, `${sha256(file(TINY, 'model-00001-of-00003.safetensors').data)}.incomplete`));
    await assert.rejects(downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(cache2)), (e) => isHubError(e, 'disk-full') && /disk filled up while downloading model-00001-of-00003\.safetensors/.test(e.message));
  });

  it('a single-file model.safetensors is downloaded whole; a pickle-only repo, and an index naming a shard the repo lacks, are refused with what to do', async () => {
    const cache = fresh('single');
    const r = await downloadForExplain({ repo: SINGLE.id, revision: 'main' }, opts(cache));
    assert.deepEqual(r.files, ['config.json', 'model.safetensors']);
    assert.deepEqual(readFileSync(path.join(r.snapshotDir, 'model.safetensors')), file(SINGLE, 'model.safetensors').data);
    await assert.rejects(downloadForExplain({ repo: PICKLE.id, revision: 'main' }, opts(cache)), (e) => isHubError(e, 'no-safetensors') && /pytorch_model\.bin: pickle files, which SEA Lens never loads/.test(e.message));
    await assert.rejects(downloadForExplain({ repo: BROKEN.id, revision: 'main' }, opts(cache)), (e) => isHubError(e, 'file-not-found') && /names model-00001-of-00003\.safetensors, which the repo does not have/.test(e.message));
  });

  it('a commit hash as revision: snapshot under that commit, no refs file', async () => {
    const cache = fresh('commit');
    const r = await downloadForExplain({ repo: TINY.id, revision: TINY.commit }, opts(cache));
    assert.equal(path.basename(r.snapshotDir), TINY.commit);
    assert.ok(!existsSync(path.join(cache, repoFolderName(TINY.id), 'refs')));
  });

  it('huggingface_hub reads the cache SEA Lens wrote, and SEA Lens (offline) reads the cache huggingface_hub wrote from the same server', async (t) => {
    const python = [path.join(ROOT, '.venv', 'bin', 'python'), '/tmp/tv/bin/python'].find((p) => existsSync(p) && spawnSync(p, ['-c', 'import huggingface_hub'], { timeout: 60_000 }).status === 0);
    if (!python) return t.skip('no Python with huggingface_hub (node scripts/ensure-python.mjs installs .venv with it)');
    const ours = fresh('interop-ours');
    await downloadForExplain({ repo: TINY.id, revision: 'main' }, opts(ours));
    const read = spawnSync(python, ['-c', `from huggingface_hub import hf_hub_download as d; print(d("${TINY.id}", "model-00001-of-00003.safetensors"))`], { encoding: 'utf8', env: { ...process.env, HF_HUB_CACHE: ours, HF_HUB_OFFLINE: '1' } });
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim(), path.join(ours, repoFolderName(TINY.id), 'snapshots', TINY.commit, 'model-00001-of-00003.safetensors'));
    const theirs = fresh('interop-theirs');
    // Asynchronously: the fixture server runs in this process and must answer while Python waits.
    const dl = await promisify(execFile)(python, ['-c', `from huggingface_hub import snapshot_download as s; print(s("${TINY.id}", allow_patterns=["*.json", "model-00001-*"]))`], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HF_HUB_CACHE: theirs, HF_ENDPOINT: server.endpoint, HF_HUB_DISABLE_XET: '1', HF_TOKEN: '' } });
    const r = await downloadForExplain({ repo: TINY.id, revision: 'main' }, { env: { HF_HUB_CACHE: theirs, HF_HUB_OFFLINE: '1' } });
    assert.equal(r.snapshotDir, dl.stdout.trim().split('\n').pop());
    assert.deepEqual(readFileSync(path.join(r.snapshotDir, 'model-00001-of-00003.safetensors')), file(TINY, 'model-00001-of-00003.safetensors').data);
  });
});

describe('Hub environment and repo ids', () => {
  it('cache: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' }), '/a');
    assert.equal(hubCacheDir({ HF_HOME: '/b' }), path.join('/b', 'hub'));
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), path.join('/x', 'huggingface', 'hub'));
    assert.equal(hubCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  });
  it('token: HF_TOKEN, else the token file; endpoint without trailing slash; offline values as huggingface_hub', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'sealens-hfhome-'));
    writeFileSync(path.join(home, 'token'), 'hf_file\n');
    assert.equal(hubToken({ HF_TOKEN: 'hf_env', HF_HOME: home }), 'hf_env');
    assert.equal(hubToken({ HF_HOME: home }), 'hf_file');
    assert.equal(hubToken({ HF_HOME: path.join(home, 'none') }), undefined);
    rmSync(home, { recursive: true });
    assert.equal(hubEndpoint({ HF_ENDPOINT: 'http://127.0.0.1:5/' }), 'http://127.0.0.1:5');
    assert.equal(hubEndpoint({}), 'https://huggingface.co');
    for (const v of ['1', 'ON', 'yes', 'True']) assert.ok(hubOffline({ HF_HUB_OFFLINE: v }), v);
    for (const v of ['0', '', 'off']) assert.ok(!hubOffline({ HF_HUB_OFFLINE: v }), v);
  });
  it('repo specs: org/name[@revision]; paths and malformed ids are not repo ids', () => {
    assert.deepEqual(parseRepoSpec('llava-hf/llava-1.5-7b-hf'), { repo: 'llava-hf/llava-1.5-7b-hf', revision: 'main' });
    assert.deepEqual(parseRepoSpec('Qwen/Qwen2-VL-2B-Instruct@refs/pr/3'), { repo: 'Qwen/Qwen2-VL-2B-Instruct', revision: 'refs/pr/3' });
    for (const bad of ['llava', './a/b', '/abs/path', 'a/b/c', 'a--b/c', 'a/b@', 'a/b@../x', 'a b/c']) assert.equal(parseRepoSpec(bad), undefined, bad);
  });
  it('weight selection: vision, projector and input embeddings of the common families; never LM layers or lm_head', () => {
    for (const k of ['vision_tower.vision_model.embeddings.patch_embedding.weight', 'multi_modal_projector.linear_1.weight', 'language_model.model.embed_tokens.weight',
      'visual.blocks.0.attn.qkv.weight', 'visual.merger.mlp.0.weight', 'model.embed_tokens.weight', 'vision_model.encoder.layers.0.mlp.fc1.weight', 'mlp1.1.weight',
      'language_model.model.tok_embeddings.weight', 'model.connector.modality_projection.proj.weight', 'image_newline', 'model.mm_projector.0.weight']) assert.ok(isExplainWeight(k), k);
    for (const k of ['language_model.model.layers.0.mlp.up_proj.weight', 'lm_head.weight', 'model.norm.weight', 'model.layers.3.self_attn.visualize.weight']) assert.ok(!isExplainWeight(k), k);
    const idx = parseSafetensorsIndex(JSON.stringify({ weight_map: { 'visual.patch_embed.proj.weight': 'a.safetensors', 'model.layers.0.x': 'b.safetensors', 'model.embed_tokens.weight': 'c.safetensors' } }));
    assert.deepEqual(neededShards(idx).shards, ['a.safetensors', 'c.safetensors']);
    assert.throws(() => parseSafetensorsIndex('{"weight_map": {"k": "../../etc/passwd.safetensors"}}'), /leads outside the repo|not a \.safetensors file/);
    assert.throws(() => parseSafetensorsIndex('{"metadata": {}}'), /no "weight_map"/);
  });
});
