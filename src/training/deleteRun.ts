// "Delete Run": removes one run folder under <workspace>/.sealens/runs. Refused while a trainer holds the
// folder's lock (deleting under a live trainer would make it fail half-way through a checkpoint), and for
// any folder that is not a direct child of the runs folder, so a bad argument cannot delete elsewhere.

import { lstatSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RUNS_DIR, runLock } from './runFolder';

export class DeleteRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeleteRunError';
  }
}

export function deleteRun(workspace: string, runDir: string): void {
  const runs = path.resolve(workspace, RUNS_DIR);
  const dir = path.resolve(runDir);
  if (path.dirname(dir) !== runs) throw new DeleteRunError(`${dir} is not a run folder of ${runs}; only folders directly inside it are deleted.`);
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    throw new DeleteRunError(`${dir} does not exist (already deleted?).`);
  }
  // a symbolic link named like a run would make rmSync act on whatever it points to
  if (!st.isDirectory() || realpathSync(dir) !== path.join(realpathSync(runs), path.basename(dir))) throw new DeleteRunError(`${dir} is not a plain folder; delete it by hand if it is really a run.`);
  const lock = runLock(dir);
  if (lock) {
    throw new DeleteRunError(lock.host
      ? `${dir}: a trainer on host ${lock.host} (pid ${lock.pid}) holds run.lock; cancel that job first (or delete run.lock if it has ended).`
      : `${dir}: a trainer (pid ${lock.pid}) is running in this folder; cancel it first.`);
  }
  rmSync(dir, { recursive: true, force: true });
}
