// The Hugging Face cache layout, exactly as huggingface_hub writes it (file_download.py):
//   <cache>/models--org--name/blobs/<etag>                  the bytes (etag = sha256 for LFS files, git sha1 otherwise)
//   <cache>/models--org--name/blobs/<etag>.incomplete       a download in progress (appended to on resume)
//   <cache>/models--org--name/snapshots/<commit>/<file>     relative symlink → ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>               the commit a branch/tag pointed to when last fetched
// so a model that `hf download` or transformers fetched is reused, and the other way round.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { HubError } from './hubError';
import { COMMIT_HASH, repoFolderName } from './hubRepoId';

export class RepoCache {
  readonly dir: string;
  constructor(readonly cacheDir: string, readonly repo: string) {
    this.dir = path.join(cacheDir, repoFolderName(repo));
  }

  snapshotDir(commit: string): string {
    return path.join(this.dir, 'snapshots', commit);
  }

  /** The file as the snapshot presents it (a symlink into blobs/). */
  pointerPath(commit: string, file: string): string {
    return path.join(this.snapshotDir(commit), ...file.split('/'));
  }

  blobPath(etag: string): string {
    return path.join(this.dir, 'blobs', etag);
  }

  /** The commit a revision stands for: itself when it is a commit hash, else refs/<revision>, else undefined. */
  commitFor(revision: string): string | undefined {
    if (COMMIT_HASH.test(revision)) return revision;
    try {
      const c = readFileSync(path.join(this.dir, 'refs', ...revision.split('/')), 'utf8').trim();
      return COMMIT_HASH.test(c) ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `revision` (a branch or tag) points at `commit`; nothing for a commit hash (as huggingface_hub). */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const file = path.join(this.dir, 'refs', ...revision.split('/'));
    try {
      if (readFileSync(file, 'utf8') === commit) return; // unchanged: leave a read-only shared cache alone
    } catch { /* not there yet */ }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, commit);
  }

  /** Does the snapshot have this file (following the symlink to an existing blob)? */
  has(commit: string, file: string): boolean {
    return isFile(this.pointerPath(commit, file));
  }

  /**
   * Puts the finished blob in place and links the snapshot to it with a relative symlink, as huggingface_hub
   * does; where symlinks are not allowed (Windows without developer mode) the snapshot gets a copy.
   */
  link(commit: string, file: string, etag: string): string {
    const pointer = this.pointerPath(commit, file);
    const blob = this.blobPath(etag);
    mkdirSync(path.dirname(pointer), { recursive: true });
    rmSync(pointer, { force: true });
    try {
      symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
    } catch {
      copyFileSync(blob, pointer);
    }
    return pointer;
  }

  /**
   * Runs `fn` while holding this blob's lock, so that two SEA Lens processes (two windows, the CLI and the
   * extension) never append to the same `.incomplete` file. The lock is a file created exclusively under
   * <cache>/.locks/models--org--name/ holding the owner's pid; one left by a process that died is taken over.
   * (huggingface_hub's own lock there is an flock on `<etag>.lock`, which Node cannot take: the name differs.)
   */
  async withBlobLock<T>(etag: string, fn: () => Promise<T>, onWait?: (pid: number) => void, signal?: AbortSignal): Promise<T> {
    const lock = path.join(this.cacheDir, '.locks', path.basename(this.dir), `${etag}.sealens-lock`);
    mkdirSync(path.dirname(lock), { recursive: true });
    for (let waited = false; ; ) {
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = Number(readFileSync(lock, 'utf8').trim() || NaN);
      if (!Number.isInteger(pid) || !alive(pid)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!waited) onWait?.(pid);
      waited = true;
      if (signal?.aborted) throw new HubError('cancelled', 'cancelled while waiting for another download of the same file');
      await sleep(500);
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  /** Moves the verified `.incomplete` file to blobs/<etag>. */
  commitBlob(incomplete: string, etag: string): void {
    renameSync(incomplete, this.blobPath(etag));
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
