// The training wizard's epochs and batch size for the dataset just picked. A handful of images (the sample
// images) needs several passes of small batches to move the adapter at all; a real dataset wants LLaVA's
// pretraining recipe — one pass, large batches (LLaVA uses 256 on 8 GPUs; 32 keeps a CPU step short) —
// or it would take hours of noisy steps. The count stops at LARGE_DATASET images, so a 100k-image folder
// is not listed whole; formats whose size is not cheap to count (LLaVA JSON, webdataset shards, Hugging Face
// datasets folders) are the large datasets they normally are.

import { readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isImageFileName } from '../shared/mediaLimits';

export const LARGE_DATASET = 1000;
export const SMALL_DEFAULTS = { epochs: 3, batchSize: 4 } as const;
export const LARGE_DEFAULTS = { epochs: 1, batchSize: 32 } as const;

/** Images below `dir` (sub-folders too), counting stops at `limit`; unreadable folders count as empty. */
export function countImages(dir: string, limit = LARGE_DATASET): number {
  let n = 0;
  const todo = [dir];
  while (todo.length && n < limit) {
    const folder = todo.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) todo.push(path.join(folder, e.name));
      else if (isImageFileName(e.name)) n += 1;
      if (n >= limit) break;
    }
  }
  return n;
}

export function wizardDefaults(dataset: string): { epochs: number; batchSize: number } {
  let folder = false;
  try {
    folder = statSync(dataset).isDirectory();
  } catch {
    return SMALL_DEFAULTS;
  }
  if (!folder) return LARGE_DEFAULTS;
  const hasShardsOrTables = readdirSync(dataset).some((f) => /\.(tar|parquet|arrow)$/i.test(f) || f === 'state.json' || f === 'dataset_dict.json');
  return hasShardsOrTables || countImages(dataset) >= LARGE_DATASET ? LARGE_DEFAULTS : SMALL_DEFAULTS;
}
