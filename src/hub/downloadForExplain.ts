// Downloads from the Hub only what an explain needs (explainFiles.ts) into the shared Hugging Face cache and
// returns the snapshot folder: configs and tokenizer first, then the index, then the shards that hold the
// vision tower, projector and input embeddings. Sizes are asked for first so that the free-space check and
// the progress fraction cover the whole download. With HF_HUB_OFFLINE=1, or when the server cannot be
// reached, the cache alone is used, and what is missing from it is named.
import { mkdirSync, readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { HubClient, type FileMetadata } from './hubClient';
import { RepoCache } from './hubCache';
import { hubSettings, type HubSettings } from './hubEnvironment';
import { HubError } from './hubError';
import type { RepoSpec } from './hubRepoId';
import { configFilesIn, neededShards, parseSafetensorsIndex, SAFETENSORS_INDEX, SINGLE_SAFETENSORS } from './explainFiles';

export interface DownloadProgress {
  message: string;
  /** 0..1 of the bytes to download (1 when everything was cached). */
  fraction: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ExplainDownloadOptions {
  /** Overrides what the environment says (HF_ENDPOINT, HF_HUB_CACHE/HF_HOME, HF_TOKEN, HF_HUB_OFFLINE). */
  settings?: Partial<HubSettings>;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  onLog?: (line: string) => void;
  retries?: number;
  fetch?: typeof fetch;
  /** Free bytes at a folder (statfs by default). */
  freeBytes?: (dir: string) => number;
}

export interface ExplainDownload {
  repo: string;
  revision: string;
  commit: string;
  /** <cache>/models--org--name/snapshots/<commit>: the checkpoint folder for the exporter. */
  snapshotDir: string;
  /** Repo-relative files the snapshot now has for an explain. */
  files: string[];
  /** Bytes fetched in this call (0 when all came from the cache). */
  downloadedBytes: number;
  /** True when the server was not asked (offline) or could not be reached. */
  fromCache: boolean;
}

const MB = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

function statfsFree(dir: string): number {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const s = statfsSync(d);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      if (path.dirname(d) === d) return Infinity;
    }
  }
}

export async function downloadForExplain(spec: RepoSpec, o: ExplainDownloadOptions = {}): Promise<ExplainDownload> {
  const s = { ...hubSettings(o.env), ...o.settings };
  const cache = new RepoCache(s.cacheDir, spec.repo);
  if (s.offline) return fromCache(cache, spec, `HF_HUB_OFFLINE is set, so the Hub is not asked`);
  const client = new HubClient({ endpoint: s.endpoint, token: s.token, signal: o.signal, retries: o.retries, fetch: o.fetch });
  let info;
  try {
    info = await client.revisionInfo(spec.repo, spec.revision);
  } catch (e) {
    // Like huggingface_hub: without a connection, a complete cached snapshot of that revision still serves.
    if (e instanceof HubError && e.code === 'network' && cache.commitFor(spec.revision)) {
      try {
        const hit = fromCache(cache, spec, e.message);
        o.onLog?.(`${e.message}; using the cached snapshot ${hit.commit}`);
        return hit;
      } catch { /* incomplete cache: report the network error */ }
    }
    throw e;
  }
  const commit = info.sha;
  mkdirSync(cache.dir, { recursive: true });
  cache.writeRef(spec.revision, commit);

  const job: Job = { client, cache, commit, repo: spec.repo, o };
  const configs = configFilesIn(info.siblings);
  if (!configs.includes('config.json')) throw new HubError('file-not-found', `${spec.repo}@${spec.revision} has no config.json, so it is not a transformers model repo SEA Lens can open`);
  const indexed = info.siblings.includes(SAFETENSORS_INDEX);
  // The index first (a few kB, outside the progress): it says which shards are needed, so that the
  // free-space check and the progress bar then cover the whole download at once.
  let bytes = indexed ? await downloadMissing(job, await missing(job, [SAFETENSORS_INDEX]), 'index', newProgress()) : 0;
  const weights = weightFiles(info.siblings, job, spec);
  bytes += await downloadMissing(job, await missing(job, [...configs, ...weights]), 'files', newProgress(o.onProgress));
  return { repo: spec.repo, revision: spec.revision, commit, snapshotDir: cache.snapshotDir(commit), files: [...configs, ...(indexed ? [SAFETENSORS_INDEX] : []), ...weights], downloadedBytes: bytes, fromCache: false };
}

/** One download: where from, where to, and the caller's options. */
interface Job { client: HubClient; cache: RepoCache; commit: string; repo: string; o: ExplainDownloadOptions }

/** The weight files an explain needs: the shards the (downloaded) index names for the needed keys, or model.safetensors. */
function weightFiles(siblings: string[], job: Job, spec: RepoSpec): string[] {
  if (siblings.includes(SAFETENSORS_INDEX)) {
    const shards = shardsFromIndex(job.cache, job.commit, spec);
    const absent = shards.filter((w) => !siblings.includes(w));
    if (absent.length) throw new HubError('file-not-found', `${spec.repo}@${job.commit}: ${SAFETENSORS_INDEX} names ${absent.join(', ')}, which the repo does not have (a broken upload; try another revision)`);
    return shards;
  }
  if (siblings.includes(SINGLE_SAFETENSORS)) return [SINGLE_SAFETENSORS];
  const pickles = siblings.filter((f) => /\.(bin|pt|pth|ckpt)$/.test(f));
  throw new HubError('no-safetensors', `${spec.repo}@${spec.revision} has no safetensors weights${pickles.length ? ` (only ${pickles.slice(0, 3).join(', ')}: pickle files, which SEA Lens never loads)` : ''}; look for a safetensors revision (often refs/pr/N "Adding safetensors variant") or convert the checkpoint with transformers' save_pretrained(safe_serialization=True)`);
}

/** Metadata of the files the snapshot does not have yet. */
async function missing(job: Job, files: string[]): Promise<FileMetadata[]> {
  const todo: FileMetadata[] = [];
  for (const f of files) if (!job.cache.has(job.commit, f)) todo.push(await job.client.fileMetadata(job.repo, job.commit, f));
  return todo;
}

/** Checks the free space for all of `todo`, then downloads, verifies and links each file; returns the bytes fetched. */
async function downloadMissing({ client, cache, commit, repo, o }: Job, todo: FileMetadata[], label: string, p: ReturnType<typeof newProgress>): Promise<number> {
  if (!todo.length) return 0;
  const blobs = path.join(cache.dir, 'blobs');
  mkdirSync(blobs, { recursive: true });
  let need = 0;
  for (const m of todo) need += m.size - sizeOr0(cache.blobPath(m.etag) + '.incomplete');
  const free = (o.freeBytes ?? statfsFree)(blobs);
  if (need > free) {
    throw new HubError('disk-full', `${repo}: the ${label} still to download need ${MB(need)} but ${blobs} has ${MB(free)} free; free space or point HF_HUB_CACHE (or HF_HOME) at a larger disk, then run again`);
  }
  p.addTotal(todo.reduce((a, m) => a + m.size, 0));
  let done = 0;
  for (const m of todo) {
    const blob = cache.blobPath(m.etag);
    await cache.withBlobLock(m.etag, async () => {
      if (sizeOr0(blob)) {
        p.add(m.size, m.file); // another file of the repo, or another process meanwhile, has the same bytes
        return;
      }
      const incomplete = blob + '.incomplete';
      const resumed = sizeOr0(incomplete);
      if (resumed) o.onLog?.(`resuming ${m.file} at ${MB(resumed)} of ${MB(m.size)}`);
      p.add(resumed, `${m.file} (${MB(m.size)})`);
      await client.download(m, incomplete, (n) => {
        done += n;
        p.add(n, `${m.file} (${MB(m.size)})`);
      });
      cache.commitBlob(incomplete, m.etag);
    }, (pid) => o.onLog?.(`waiting for another SEA Lens process (pid ${pid}) that is downloading ${m.file}`), o.signal);
    cache.link(commit, m.file, m.etag);
  }
  return done;
}

function sizeOr0(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function newProgress(cb?: (p: DownloadProgress) => void) {
  let total = 0;
  let done = 0;
  let last = 0;
  return {
    addTotal(n: number) {
      total += n;
    },
    add(n: number, message: string) {
      done += n;
      const now = Date.now();
      if (!cb || (now - last < 100 && done < total)) return; // at most 10 updates a second
      last = now;
      cb({ message: `downloading ${message}`, fraction: total ? Math.min(1, done / total) : 1, bytesDone: done, bytesTotal: total });
    },
  };
}

function shardsFromIndex(cache: RepoCache, commit: string, spec: RepoSpec): string[] {
  const file = cache.pointerPath(commit, SAFETENSORS_INDEX);
  let index;
  try {
    index = parseSafetensorsIndex(readFileSync(file, 'utf8'), `${spec.repo}/${SAFETENSORS_INDEX}`);
  } catch (e) {
    throw new HubError('file-not-found', (e as Error).message);
  }
  const { shards } = neededShards(index);
  if (!shards.length) {
    throw new HubError('file-not-found', `${spec.repo}/${SAFETENSORS_INDEX} has no vision tower, projector or embed_tokens weights (looked for vision_tower, visual, vision_model, multi_modal_projector, embed_tokens, …); is it a multimodal model?`);
  }
  return shards;
}

/** The snapshot of `spec` from the cache alone, or an error that lists what is missing and how to get it. */
export function fromCache(cache: RepoCache, spec: RepoSpec, why: string): ExplainDownload {
  const commit = cache.commitFor(spec.revision);
  const fetchIt = `run \`hf download ${spec.repo}${spec.revision === 'main' ? '' : ` --revision ${spec.revision}`}\` (or SEA Lens) once with a connection, or unset HF_HUB_OFFLINE`;
  if (!commit) throw new HubError('offline-missing', `${why}, and ${spec.repo}@${spec.revision} is not in the cache ${cache.cacheDir} (no ${path.join(cache.dir, 'refs', spec.revision)}); ${fetchIt}`);
  const missing: string[] = [];
  if (!cache.has(commit, 'config.json')) missing.push('config.json');
  let weights: string[] = [];
  const indexed = cache.has(commit, SAFETENSORS_INDEX);
  if (indexed) weights = shardsFromIndex(cache, commit, spec);
  else if (cache.has(commit, SINGLE_SAFETENSORS)) weights = [SINGLE_SAFETENSORS];
  else missing.push(`${SAFETENSORS_INDEX} or ${SINGLE_SAFETENSORS}`);
  missing.push(...weights.filter((w) => !cache.has(commit, w)));
  if (missing.length) throw new HubError('offline-missing', `${why}, and the cached snapshot ${cache.snapshotDir(commit)} lacks ${missing.join(', ')}; ${fetchIt}`);
  const snapshot = cache.snapshotDir(commit);
  const configs = configFilesIn(readdirSync(snapshot));
  return { repo: spec.repo, revision: spec.revision, commit, snapshotDir: snapshot, files: [...configs, ...(indexed ? [SAFETENSORS_INDEX] : []), ...weights], downloadedBytes: 0, fromCache: true };
}
