// The Hugging Face cache layout, exactly as huggingface_hub writes it (file_download.py):
//   <cache>/models--org--name/blobs/<etag>                  the bytes (etag = sha256 for LFS files, git sha1 otherwise)
//   <cache>/models--org--name/blobs/<etag>.incomplete       a download in progress (appended to on resume)
//   <cache>/models--org--name/snapshots/<commit>/<file>     relative symlink → ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>               the commit a branch/tag pointed to when last fetched
// so a model that `hf download` or transformers fetched is reused, and the other way round.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
