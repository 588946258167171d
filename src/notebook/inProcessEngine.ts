// The notebook runner's engine interface over an in-process Engine (src/engine/engine.ts): the CLI and
// the tests run notebooks without forking an engine process. Same methods as the JSON-RPC contract.

import type { Engine } from '../engine/engine';
import type { NotebookEngine } from './runCell';

export function inProcessEngine(engine: Engine): NotebookEngine {
  const table: { [M in keyof NotebookEngineMethods]: NotebookEngineMethods[M] } = {
    'engine/packInfo': (p) => engine.packInfo(p),
    'engine/explain': (p, s) => engine.explain(p, s),
    'engine/compare': (p, s) => engine.compare(p, s),
    'engine/labels': (p, s) => engine.labels(p, s),
    'engine/wordsNear': (p, s) => engine.wordsNear(p, s),
    'engine/neighbors': (p, s) => engine.neighbors(p, s),
    'engine/metrics': (p, s) => engine.metrics(p, s),
    'engine/shutdown': async () => null,
  };
  return {
    request(method, params, signal) {
      return (table[method] as (p: typeof params, s?: AbortSignal) => Promise<never>)(params, signal);
    },
  };
}

type NotebookEngineMethods = {
  [M in Parameters<NotebookEngine['request']>[0]]: (
    p: import('../shared/engineProtocol').EngineRequests[M][0],
    s?: AbortSignal,
  ) => Promise<import('../shared/engineProtocol').EngineRequests[M][1]>;
};
