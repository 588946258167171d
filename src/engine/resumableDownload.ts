// One file over HTTP(S) into `<dest>.part`, resumed with a Range request after a dropped connection (in the
// same call up to `retries` times, and by the next call), checked against a SHA-512 before it is renamed to
// `dest`. Used by `sea-lens gpu install`; Node's fetch, no dependency.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export class DownloadError extends Error {
  constructor(readonly kind: 'not-found' | 'http' | 'network' | 'checksum' | 'cancelled', message: string) {
    super(message);
  }
}

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected SHA-512 of the whole file, base64 (NuGet's packageHash) or hex. */
  sha512: string;
  /** Expected size in bytes, when known (for progress before the first response). */
  size?: number;
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Resumptions within this call after a dropped connection; the next call resumes anyway. */
  retries?: number;
  fetch?: typeof fetch;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function sha512Of(file: string): Promise<{ base64: string; hex: string }> {
  const h = createHash('sha512');
  for await (const chunk of createReadStream(file)) h.update(chunk as Uint8Array);
  const d = h.digest();
  return { base64: d.toString('base64'), hex: d.toString('hex') };
}

/** Downloads (or finishes downloading) `url` to `dest`; returns `dest`. A complete, verified `dest` is kept. */
export async function downloadFile(o: DownloadOptions): Promise<string> {
  const fetchFn = o.fetch ?? fetch;
  const part = `${o.dest}.part`;
  await mkdir(path.dirname(o.dest), { recursive: true });
  const matches = (h: { base64: string; hex: string }) => h.base64 === o.sha512 || h.hex === o.sha512.toLowerCase();
  if ((await sizeOf(o.dest)) > 0 && matches(await sha512Of(o.dest))) return o.dest;
  let attempts = 0;
  for (;;) {
    if (o.signal?.aborted) throw new DownloadError('cancelled', `download of ${o.url} cancelled; run again to resume`);
    const have = await sizeOf(part);
    let res: Response;
    try {
      res = await fetchFn(o.url, { headers: { 'accept-encoding': 'identity', ...(have ? { range: `bytes=${have}-` } : {}) }, signal: o.signal });
    } catch (e) {
      if (o.signal?.aborted) throw new DownloadError('cancelled', `download of ${o.url} cancelled; run again to resume`);
      throw new DownloadError('network', `cannot reach ${new URL(o.url).origin} (${causeOf(e)}); check the connection, then run again`);
    }
    if (res.status === 416 && have) {
      // The part file is already whole (or longer than the file): check it as it is.
      await res.body?.cancel();
    } else if (res.status === 404) {
      await res.body?.cancel();
      throw new DownloadError('not-found', `${o.url} answered 404 Not Found`);
    } else if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new DownloadError('http', `${o.url} answered HTTP ${res.status} ${res.statusText}`);
    } else {
      const resumed = res.status === 206;
      const length = Number(res.headers.get('content-length') ?? NaN);
      const total = Number.isFinite(length) ? (resumed ? have : 0) + length : o.size;
      const fh = await open(part, resumed ? 'a' : 'w');
      let done = resumed ? have : 0;
      try {
        o.onProgress?.(done, total);
        if (!res.body) throw new Error('empty response');
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          await fh.write(chunk);
          done += chunk.byteLength;
          o.onProgress?.(done, total);
        }
        if (total !== undefined && done < total) throw new Error(`connection closed at ${done} of ${total} bytes`);
      } catch (e) {
        await fh.close();
        if (o.signal?.aborted) throw new DownloadError('cancelled', `download of ${o.url} cancelled at ${mb(done)}; run again to resume`);
        if (attempts++ < (o.retries ?? 2)) continue;
        throw new DownloadError('network', `download of ${o.url} broke off at ${mb(done)}${total ? ` of ${mb(total)}` : ''} (${causeOf(e)}); run the same command again to resume from there`);
      }
      await fh.close();
    }
    const got = await sha512Of(part);
    if (!matches(got)) {
      await rm(part, { force: true });
      throw new DownloadError('checksum', `${path.basename(o.dest)} from ${o.url} does not match its published SHA-512 (expected ${o.sha512.slice(0, 16)}…, got ${got.base64.slice(0, 16)}…); the broken file was deleted — run again, and if it repeats, the mirror or a proxy alters the file`);
    }
    await rename(part, o.dest);
    return o.dest;
  }
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
