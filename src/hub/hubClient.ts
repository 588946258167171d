// A small Hugging Face Hub client on Node's fetch: the revision's file list, one file's metadata (HEAD on
// /resolve/, as huggingface_hub's get_hf_file_metadata), and a resumable download into a `.incomplete` file
// (HTTP Range, as huggingface_hub's http_get). Why not @huggingface/hub: its downloadFileToCacheDir (v2.x)
// rewrites `.incomplete` from byte 0 (no resume), buffers the whole file as a Blob, checks no hash, has no
// offline mode, and files the snapshot under the file's last-commit id instead of the revision's commit,
// so `hf download` and it would not share snapshots.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, truncate } from 'node:fs/promises';
import { HubError } from './hubError';

export interface HubClientOptions {
  endpoint: string;
  token?: string;
  signal?: AbortSignal;
  /** Attempts to resume an interrupted file within one call before giving up (a rerun resumes too). */
  retries?: number;
  fetch?: typeof fetch;
}

export interface RevisionInfo {
  /** The commit the revision points at. */
  sha: string;
  /** Every file of the repo at that commit (repo-relative paths). */
  siblings: string[];
}

export interface FileMetadata {
  file: string;
  commit: string;
  /** sha256 for LFS files, git blob sha1 otherwise: the blob's name in the cache. */
  etag: string;
  size: number;
  /** Where the bytes are (the CDN location for LFS files). */
  url: string;
}

const USER_AGENT = 'sea-lens; hf_hub-compatible';

export class HubClient {
  private readonly fetchFn: typeof fetch;
  constructor(readonly o: HubClientOptions) {
    this.fetchFn = o.fetch ?? fetch;
  }

  private headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...extra };
    // The token goes to the Hub only, never to the CDN a file redirects to (as huggingface_hub and browsers).
    if (this.o.token && new URL(url).origin === new URL(this.o.endpoint).origin) h.authorization = `Bearer ${this.o.token}`;
    return h;
  }

  private async request(url: string, init: RequestInit, what: string): Promise<Response> {
    if (this.o.signal?.aborted) throw new HubError('cancelled', `cancelled before ${what}`);
    try {
      return await this.fetchFn(url, { ...init, signal: this.o.signal });
    } catch (e) {
      if (this.o.signal?.aborted) throw new HubError('cancelled', `cancelled during ${what}`);
      throw new HubError('network', `cannot reach ${new URL(url).origin} for ${what} (${causeOf(e)}); check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only`);
    }
  }

  /** GET /api/models/<repo>/revision/<rev>: the commit and the file list. */
  async revisionInfo(repo: string, revision: string): Promise<RevisionInfo> {
    const url = `${this.o.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const res = await this.request(url, { headers: this.headers(url) }, `the file list of ${repo}@${revision}`);
    if (!res.ok) throw await this.httpError(res, repo, revision);
    const json = (await res.json().catch(() => null)) as { sha?: unknown; siblings?: unknown } | null;
    const siblings = Array.isArray(json?.siblings) ? json.siblings.map((s) => (s as { rfilename?: unknown }).rfilename).filter((f): f is string => typeof f === 'string') : null;
    if (typeof json?.sha !== 'string' || !/^[0-9a-f]{40}$/.test(json.sha) || !siblings) {
      throw new HubError('network', `${this.o.endpoint} answered the file list of ${repo}@${revision} without a commit sha and file list; is HF_ENDPOINT a Hugging Face Hub?`);
    }
    return { sha: json.sha, siblings };
  }

  /** HEAD /<repo>/resolve/<commit>/<file> without following the CDN redirect: etag, size, commit, location. */
  async fileMetadata(repo: string, commit: string, file: string): Promise<FileMetadata> {
    let url = `${this.o.endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${file.split('/').map(encodeURIComponent).join('/')}`;
    for (let hop = 0; ; hop++) {
      const res = await this.request(url, { method: 'HEAD', headers: this.headers(url), redirect: 'manual' }, `${file} of ${repo}`);
      const location = res.headers.get('location');
      const linked = res.headers.get('x-linked-etag');
      const isRedirect = res.status >= 300 && res.status < 400 && location;
      // A relative redirect (a renamed repo) is followed for the metadata, as huggingface_hub does; a
      // redirect elsewhere (the CDN of an LFS file) carries the metadata itself.
      if (isRedirect && !linked && new URL(location, url).origin === new URL(url).origin && hop < 5) {
        url = new URL(location, url).toString();
        continue;
      }
      if (!res.ok && !isRedirect) throw await this.httpError(res, repo, commit, file);
      const etag = normalizeEtag(linked ?? res.headers.get('etag'));
      const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
      const repoCommit = res.headers.get('x-repo-commit') ?? commit;
      if (!etag || !Number.isSafeInteger(size) || size < 0) {
        throw new HubError('network', `${this.o.endpoint} sent no ETag or size for ${file} of ${repo}; SEA Lens cannot cache or verify it (is HF_ENDPOINT a Hugging Face Hub?)`);
      }
      return { file, commit: repoCommit, etag, size, url: isRedirect ? new URL(location, url).toString() : url };
    }
  }

  /**
   * Downloads `meta` into `incomplete`, appending to what is already there (HTTP Range), then checks the
   * size and the hash. A connection that drops is resumed up to `retries` times; after that the error says
   * a rerun resumes. A hash mismatch removes the partial file (its bytes cannot be trusted).
   */
  async download(meta: FileMetadata, incomplete: string, onBytes: (n: number) => void = () => {}): Promise<void> {
    const retries = this.o.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let have = await sizeOf(incomplete);
      if (have > meta.size) {
        await truncate(incomplete, 0); // a stale partial file from another version: start over
        onBytes(-have);
        have = 0;
      }
      if (have === meta.size) break;
      try {
        await this.fetchInto(meta, incomplete, have, onBytes);
      } catch (e) {
        if (!(e instanceof HubError) || e.code !== 'network' || attempt >= retries) {
          if (e instanceof HubError && e.code === 'network') {
            const got = await sizeOf(incomplete);
            throw new HubError('network', `${e.message}; ${got} of ${meta.size} bytes of ${meta.file} are kept in ${incomplete}: run again to resume from there`);
          }
          throw e;
        }
      }
    }
    await verify(meta, incomplete);
  }

  private async fetchInto(meta: FileMetadata, incomplete: string, have: number, onBytes: (n: number) => void): Promise<void> {
    const res = await this.request(meta.url, { headers: this.headers(meta.url, have > 0 ? { range: `bytes=${have}-` } : {}) }, meta.file);
    let offset = have;
    if (res.status === 200 && have > 0) {
      offset = 0; // the server ignored the Range header: rewrite from the start
      onBytes(-have);
    } else if (res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== have) throw new HubError('network', `the server answered the resume of ${meta.file} at byte ${have} with the range "${res.headers.get('content-range')}"`);
    } else if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 416) {
        await truncate(incomplete, 0);
        onBytes(-have);
        throw new HubError('network', `the server refused to resume ${meta.file} at byte ${have}`);
      }
      throw res.status >= 500 || res.status === 429 ? new HubError('network', `the server answered ${res.status} ${res.statusText} for ${meta.file}`) : await this.httpError(res, '', meta.commit, meta.file);
    }
    const fh = await open(incomplete, offset === 0 ? 'w' : 'a');
    try {
      if (!res.body) throw new HubError('network', `empty response for ${meta.file}`);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        offset += chunk.length;
        onBytes(chunk.length);
      }
    } catch (e) {
      if (e instanceof HubError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new HubError('disk-full', `the disk filled up while downloading ${meta.file} to ${incomplete} (${offset} of ${meta.size} bytes written); free space and run again to resume`);
      if (this.o.signal?.aborted) throw new HubError('cancelled', `cancelled while downloading ${meta.file} (${offset} of ${meta.size} bytes kept; a rerun resumes)`);
      throw new HubError('network', `the download of ${meta.file} broke off at byte ${offset} of ${meta.size} (${causeOf(e)})`);
    } finally {
      await fh.close();
    }
    if (offset < meta.size) throw new HubError('network', `the server closed the download of ${meta.file} at byte ${offset} of ${meta.size}`);
  }

  private async httpError(res: Response, repo: string, revision: string, file?: string): Promise<HubError> {
    const code = res.headers.get('x-error-code');
    const serverSays = (res.headers.get('x-error-message') ?? (await res.text().catch(() => '')).slice(0, 200)).trim();
    const what = file ? `${file} of ${repo || 'the repo'}@${revision}` : `${repo}@${revision}`;
    const page = `${this.o.endpoint}/${repo}`;
    if (code === 'GatedRepo' || ((res.status === 401 || res.status === 403) && code !== 'RepoNotFound')) {
      return new HubError('gated', this.o.token
        ? `${what}: the token was refused (${res.status}${serverSays ? `: ${serverSays}` : ''}). The repo is gated or private: accept its license at ${page} with the account of your token, or use a token with access (HF_TOKEN, or \`hf auth login\`)`
        : `${what}: the repo is gated or private and no token is set (${res.status}). Accept its license at ${page}, then set HF_TOKEN or run \`hf auth login\` (SEA Lens reads the same token file, ${'$'}HF_HOME/token)`);
    }
    if (code === 'RepoNotFound' || (res.status === 404 && !file && code !== 'RevisionNotFound' && !/revision/i.test(serverSays))) {
      return new HubError('repo-not-found', `${repo}: no such model repo on ${this.o.endpoint}${this.o.token ? '' : ' (if it is private, set HF_TOKEN or run `hf auth login`)'}; check the spelling org/name`);
    }
    if (code === 'RevisionNotFound' || (res.status === 404 && !file)) {
      return new HubError('revision-not-found', `${repo} has no revision "${revision}" (branch, tag or commit) on ${this.o.endpoint}; see ${page}/tree/main for the branches, or leave @revision out for main`);
    }
    if (res.status === 404) return new HubError('file-not-found', `${what}: not in the repo (404); the repo's model.safetensors.index.json names a file that is missing, or the revision changed while downloading`);
    return new HubError('network', `${what}: the server answered ${res.status} ${res.statusText}${serverSays ? ` (${serverSays})` : ''}`);
  }
}

/** huggingface_hub's _normalize_etag: drop a weak `W/` prefix and the quotes. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

function causeOf(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  return [err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * The size, then the hash the etag stands for: sha256 (LFS files: X-Linked-Etag) or the git blob sha1 of
 * "blob <size>\0" + bytes (other files: ETag). Another etag form (none known today) is not checked.
 */
async function verify(meta: FileMetadata, file: string): Promise<void> {
  const size = await sizeOf(file);
  const kind = /^[0-9a-f]{64}$/.test(meta.etag) ? 'sha256' : /^[0-9a-f]{40}$/.test(meta.etag) ? 'sha1' : undefined;
  if (size !== meta.size) {
    await rm(file, { force: true });
    throw new HubError('integrity', `${meta.file}: downloaded ${size} bytes but the server announced ${meta.size}; the partial file was removed, run again`);
  }
  if (!kind) return;
  const h = createHash(kind);
  if (kind === 'sha1') h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) h.update(chunk as Uint8Array);
  const got = h.digest('hex');
  if (got !== meta.etag) {
    await rm(file, { force: true });
    throw new HubError('integrity', `${meta.file}: the downloaded bytes have ${kind} ${got}, the Hub says ${meta.etag} (corrupted in transit or changed on the server); the partial file was removed, run again`);
  }
}
