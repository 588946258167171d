// A local stand-in for the Hugging Face Hub on 127.0.0.1, answering the way huggingface.co does for what
// SEA Lens asks: /api/models/<repo>/revision/<rev> (sha + siblings), HEAD/GET /<repo>/resolve/<rev>/<file>
// with X-Repo-Commit and ETag (git sha1) for regular files, and for LFS files a 302 to a CDN-like path with
// X-Linked-Etag (sha256) and X-Linked-Size; the CDN path honours Range (206). It can refuse a gated repo
// without the right token (401/403 GatedRepo), answer 404 RepoNotFound/RevisionNotFound, drop a
// connection in the middle of a file, and serve corrupted bytes. Every request is logged for assertions.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureFile { name: string; data: Buffer; lfs: boolean }
export interface FixtureRepo { id: string; commit: string; refs: Record<string, string>; files: FixtureFile[]; gatedToken?: string }
export interface LoggedRequest { method: string; path: string; range?: string; auth?: string }

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const commitOf = (seed: string): string => createHash('sha1').update(seed).digest('hex');

/** A sharded LLaVA-style repo: shard 1 has the vision tower, projector and embed_tokens; 2 and 3 the LM. */
export function shardedRepo(id: string, shardBytes = 256 * 1024): FixtureRepo {
  const weightMap: Record<string, string> = {
    'vision_tower.vision_model.embeddings.patch_embedding.weight': 'model-00001-of-00003.safetensors',
    'vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight': 'model-00001-of-00003.safetensors',
    'multi_modal_projector.linear_1.weight': 'model-00001-of-00003.safetensors',
    'language_model.model.embed_tokens.weight': 'model-00001-of-00003.safetensors',
    'language_model.model.layers.0.self_attn.q_proj.weight': 'model-00002-of-00003.safetensors',
    'language_model.model.layers.1.self_attn.q_proj.weight': 'model-00002-of-00003.safetensors',
    'language_model.lm_head.weight': 'model-00003-of-00003.safetensors',
  };
  const json = (o: unknown) => Buffer.from(JSON.stringify(o, null, 2));
  return {
    id,
    commit: commitOf(id),
    refs: { main: commitOf(id) },
    files: [
      { name: 'config.json', data: json({ architectures: ['LlavaForConditionalGeneration'], model_type: 'llava' }), lfs: false },
      { name: 'preprocessor_config.json', data: json({ image_processor_type: 'CLIPImageProcessor', crop_size: { height: 336, width: 336 } }), lfs: false },
      { name: 'tokenizer.json', data: json({ version: '1.0', model: { type: 'BPE', vocab: { a: 0 } } }), lfs: false },
      { name: 'tokenizer_config.json', data: json({ model_max_length: 4096 }), lfs: false },
      { name: 'generation_config.json', data: json({ max_new_tokens: 10 }), lfs: false },
      { name: 'README.md', data: Buffer.from('# tiny\n'), lfs: false },
      { name: 'model.safetensors.index.json', data: json({ metadata: { total_size: 3 * shardBytes }, weight_map: weightMap }), lfs: false },
      { name: 'model-00001-of-00003.safetensors', data: randomBytes(shardBytes), lfs: true },
      { name: 'model-00002-of-00003.safetensors', data: randomBytes(shardBytes), lfs: true },
      { name: 'model-00003-of-00003.safetensors', data: randomBytes(shardBytes), lfs: true },
    ],
  };
}

export function singleFileRepo(id: string): FixtureRepo {
  return {
    id, commit: commitOf(id), refs: { main: commitOf(id) },
    files: [
      { name: 'config.json', data: Buffer.from('{"model_type": "llava"}'), lfs: false },
      { name: 'model.safetensors', data: randomBytes(64 * 1024), lfs: true },
    ],
  };
}

export class HubFixtureServer {
  readonly log: LoggedRequest[] = [];
  /** LFS sha256 → bytes to send before dropping the connection (once). */
  readonly dropOnce = new Map<string, number>();
  /** File names whose bytes are served flipped (the headers stay right). */
  readonly corrupt = new Set<string>();
  private server?: http.Server;
  // LFS bytes come from another origin, as from cdn-lfs.hf.co: the token must not follow the redirect.
  private cdn?: http.Server;
  endpoint = '';
  cdnEndpoint = '';

  constructor(readonly repos: FixtureRepo[]) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    this.cdn = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.cdn!.listen(0, '127.0.0.1', resolve));
    this.cdnEndpoint = `http://127.0.0.1:${(this.cdn!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.cdn]) {
      s?.closeAllConnections();
      await new Promise((r) => s?.close(r));
    }
  }

  /** Requests that fetched file bytes (GET on the CDN path or a non-LFS resolve). */
  contentGets(): LoggedRequest[] {
    return this.log.filter((r) => r.method === 'GET' && (r.path.startsWith('/cdn/') || r.path.includes('/resolve/')));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.endpoint);
    const p = decodeURIComponent(url.pathname);
    this.log.push({ method: req.method ?? '', path: p, range: req.headers.range, auth: req.headers.authorization });
    const fail = (status: number, code?: string, message = '') => {
      res.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}), ...(message ? { 'x-error-message': message } : {}) });
      res.end(JSON.stringify({ error: message || code }));
    };
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p);
    if (m) {
      const repo = this.repos.find((r) => r.id === m![1]);
      if (!repo) return fail(404, 'RepoNotFound', 'Repository not found');
      const sha = repo.refs[m[2]] ?? (m[2] === repo.commit ? repo.commit : undefined);
      if (!sha) return fail(404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ id: repo.id, sha, gated: repo.gatedToken ? 'manual' : false, siblings: repo.files.map((f) => ({ rfilename: f.name })) }));
    }
    m = /^\/cdn\/([0-9a-f]{64})$/.exec(p);
    if (m) return this.serveBlob(req, res, m[1]);
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (!m) return fail(404);
    const repo = this.repos.find((r) => r.id === m![1]);
    if (!repo) return fail(404, 'RepoNotFound', 'Repository not found');
    const sha = repo.refs[m[2]] ?? (m[2] === repo.commit ? repo.commit : undefined);
    if (!sha) return fail(404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return req.headers.authorization
        ? fail(403, 'GatedRepo', `Access to model ${repo.id} is restricted and you are not in the authorized list.`)
        : fail(401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    }
    const file = repo.files.find((f) => f.name === m![3]);
    if (!file) return fail(404, 'EntryNotFound', `${m[3]} does not exist on "${m[2]}"`);
    const common = { 'x-repo-commit': sha, 'accept-ranges': 'bytes' };
    if (file.lfs) {
      const oid = sha256(file.data);
      res.writeHead(302, { ...common, location: `${this.cdnEndpoint}/cdn/${oid}?expires=1`, etag: `"${gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\n`))}"`, 'x-linked-etag': `"${oid}"`, 'x-linked-size': String(file.data.length), 'content-length': '0' });
      return void res.end();
    }
    const body = this.corrupt.has(file.name) ? flip(file.data) : file.data;
    res.writeHead(200, { ...common, etag: `"${gitSha1(file.data)}"`, 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private serveBlob(req: http.IncomingMessage, res: http.ServerResponse, oid: string): void {
    const file = this.repos.flatMap((r) => r.files).find((f) => f.lfs && sha256(f.data) === oid);
    if (!file) return void res.writeHead(404).end();
    const data = this.corrupt.has(file.name) ? flip(file.data) : file.data;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start > data.length) return void res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, { etag: `"${oid}"`, 'content-length': String(body.length), ...(range ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
    if (req.method === 'HEAD') return void res.end();
    const drop = this.dropOnce.get(oid);
    if (drop !== undefined) {
      this.dropOnce.delete(oid);
      // The connection ends a moment after the bytes (FIN, not RST), so the client has read them: a stream
      // that errors discards chunks still queued, which would make the drop point depend on timing.
      res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.end(), 200));
      return;
    }
    res.end(body);
  }
}

function flip(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[c.length >> 1] ^= 0xff;
  return c;
}
