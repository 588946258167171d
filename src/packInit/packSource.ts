// What `pack init` was pointed at: a checkpoint folder (config.json + safetensors), a folder inside the
// Hugging Face cache (a snapshot, or the models--org--name folder: refs/main picks the snapshot), or a Hub
// id org/name[@revision] to download first. A path that exists wins over a Hub id of the same spelling.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseRepoSpec, repoFromFolderName } from '../hub/hubRepoId';
import { PACK_INIT_EXIT, PackInitError } from './packInitError';

export type PackSource =
  | { kind: 'folder'; dir: string; repo?: string; revision?: string }
  | { kind: 'hub'; repo: string; revision: string };

export function resolveSource(arg: string, cwd = process.cwd()): PackSource {
  const abs = path.resolve(cwd, arg);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new PackInitError(PACK_INIT_EXIT.usage, `${abs} is a file; pack init needs the checkpoint folder (the one with config.json) or a Hub id org/name`);
    return folderSource(abs);
  }
  const spec = parseRepoSpec(arg);
  if (spec) return { kind: 'hub', ...spec };
  throw new PackInitError(PACK_INIT_EXIT.usage, `"${arg}" is neither a folder here (${abs} does not exist) nor a Hub id org/name[@revision]`);
}

function folderSource(dir: string): PackSource {
  const parts = dir.split(path.sep);
  const n = parts.length;
  // <cache>/models--org--name/snapshots/<commit>
  if (n >= 3 && parts[n - 2] === 'snapshots' && repoFromFolderName(parts[n - 3])) {
    return checked({ kind: 'folder', dir, repo: repoFromFolderName(parts[n - 3]), revision: parts[n - 1] });
  }
  // <cache>/models--org--name: the snapshot refs/main points at
  const repo = repoFromFolderName(parts[n - 1]);
  if (repo && existsSync(path.join(dir, 'snapshots'))) {
    let commit: string | undefined;
    try {
      commit = readFileSync(path.join(dir, 'refs', 'main'), 'utf8').trim();
    } catch { /* no refs/main */ }
    const snaps = readdirSync(path.join(dir, 'snapshots'));
    if (!commit || !snaps.includes(commit)) {
      throw new PackInitError(PACK_INIT_EXIT.usage, `${dir} is the Hugging Face cache folder of ${repo}, but ${commit ? `refs/main names ${commit}, which is not among its snapshots` : 'it has no refs/main'}; pass one of its snapshots instead: ${snaps.map((s) => path.join(dir, 'snapshots', s)).join(', ') || '(none)'}`);
    }
    return checked({ kind: 'folder', dir: path.join(dir, 'snapshots', commit), repo, revision: commit });
  }
  return checked({ kind: 'folder', dir });
}

function checked(s: PackSource & { kind: 'folder' }): PackSource {
  if (!existsSync(path.join(s.dir, 'config.json'))) {
    throw new PackInitError(PACK_INIT_EXIT.checkpointInvalid, `${s.dir} has no config.json, so it is not a Hugging Face checkpoint folder (save one with transformers' save_pretrained, or give a Hub id org/name)`);
  }
  return s;
}

/** The pack folder's default name: org--name for a Hub model, else the checkpoint folder's name. */
export function defaultPackName(s: PackSource): string {
  if (s.kind === 'hub' || s.repo) return (s.repo as string).replace('/', '--');
  return path.basename(s.dir);
}
