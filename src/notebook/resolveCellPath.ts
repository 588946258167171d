// Where a path written in a cell points. Plain paths resolve against the notebook's folder; `demo:` paths
// (e.g. `demo:samples/test0000-pink-circle-wood.png`) resolve against the demo folder installed with SEA
// Lens (its media/ folder: demo-pack/, samples/), so a notebook that uses the shipped samples runs on any
// machine and install without machine-specific absolute paths in the file.

import { isAbsolute, relative, resolve, sep } from 'node:path';

export const DEMO_PREFIX = 'demo:';

export interface CellPaths {
  /** The notebook's folder. */
  baseDir: string;
  /** The installed demo folder (`<install>/media`); undefined where none is known. */
  demoDir?: string;
}

/** Thrown for a `demo:` path that cannot be resolved; the message says why and what to write instead. */
export class CellPathError extends Error {
  override name = 'CellPathError';
}

export function isDemoPath(value: string): boolean {
  return value.startsWith(DEMO_PREFIX);
}

/** The absolute path a cell's path argument names. */
export function resolveCellPath(value: string, paths: CellPaths): string {
  if (!isDemoPath(value)) return resolve(paths.baseDir, value);
  const rest = value.slice(DEMO_PREFIX.length).replace(/^[/\\]+/, '');
  if (!paths.demoDir) throw new CellPathError(`${value}: the SEA Lens demo folder is not known here, so demo: paths cannot be resolved; use a path relative to the notebook's folder.`);
  const abs = resolve(paths.demoDir, rest);
  const rel = relative(paths.demoDir, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new CellPathError(`${value}: demo: paths name files inside the demo folder (${paths.demoDir}), e.g. demo:samples/… or demo:demo-pack; this one leads outside it.`);
  }
  return abs;
}

/** How an absolute path is shown in outputs: relative to the notebook, as `demo:…` inside the demo folder, else absolute. */
export function displayCellPath(file: string, paths: CellPaths): string {
  if (!isAbsolute(file)) return file;
  const inside = (dir: string | undefined): string | undefined => {
    if (!dir) return undefined;
    const rel = relative(dir, file);
    return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
  };
  const local = inside(paths.baseDir);
  if (local !== undefined) return local;
  const demo = inside(paths.demoDir);
  return demo !== undefined ? `${DEMO_PREFIX}${demo}` : file;
}

/**
 * The `demo:` form of a path that names the shipped samples or demo pack by a path of its own, e.g.
 * `../samples/a.png` (the starter notebook before `demo:` existed) → `demo:samples/a.png`; the editor
 * offers it as a quick fix when the written path does not exist. Undefined for other paths.
 */
export function demoPathFor(value: string): string | undefined {
  if (isDemoPath(value)) return undefined;
  const m = /(?:^|[/\\])((?:samples|demo-pack)(?:[/\\].*)?)$/.exec(value);
  return m ? `${DEMO_PREFIX}${m[1].replace(/\\/g, '/')}` : undefined;
}
