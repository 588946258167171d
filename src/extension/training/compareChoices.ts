// Compare two adapter choices. Two adapters in one pack folder (the pack's own, or a run adapter beside
// the base adapters of its overlay) go to the engine's compare, which encodes the image once. Adapters of
// two different runs live in two overlay packs, so each is explained in its own pack and the changed
// tokens and agreement are counted here, with the engine's definition (top-1 word differs).

import type * as vscode from 'vscode';
import type { CompareResult, ExplainParams } from '../../shared/engineProtocol';
import type { TokenMap } from '../../shared/tokenMap';
import type { AdapterChoice } from '../../training/adapterChoices';
import type { EngineRequester } from '../lensView';

type Common = Omit<ExplainParams, 'pack' | 'adapter'>;

export async function compareChoices(engine: EngineRequester, a: AdapterChoice, b: AdapterChoice, common: Common, token: vscode.CancellationToken): Promise<CompareResult> {
  if (a.pack === b.pack) return engine.request('engine/compare', { ...common, pack: a.pack, adapterA: a.adapter, adapterB: b.adapter }, token);
  // one after the other: requests with the same viewId supersede each other
  const ma = await engine.request('engine/explain', { ...common, pack: a.pack, adapter: a.adapter }, token);
  const mb = await engine.request('engine/explain', { ...common, pack: b.pack, adapter: b.adapter }, token);
  return compareTokenMaps(ma, mb);
}

/** Same definition as the engine's compare: a token changed when its top-1 word differs. */
export function compareTokenMaps(a: TokenMap, b: TokenMap): CompareResult {
  const changed = a.patches.map((pa, i) => pa.words[0]?.word !== b.patches[i]?.words[0]?.word);
  return { a, b, changed, agreement: changed.length ? changed.filter((c) => !c).length / changed.length : 1 };
}
