// PaliGemma and Gemma 3: a SigLIP tower on one square view (SiglipImageProcessor / Gemma3ImageProcessor resize
// the whole image to size.height × size.width, no crop, no padding), so every token covers a patch of the
// squashed image — or, for Gemma 3, 4 × 4 patches average-pooled into one of its 256 tokens. Gemma 3's
// pan-and-scan crops are extra views this family does not draw; a pack whose processor turns them on is told so.
import { packError } from '../../engineError';
import type { ModelFamily } from '../family';
import { parseSingleView, singleView, singleViewGrid, type SingleViewConfig } from '../llava/geometry';

function parseSquashed(c: Record<string, unknown>, label: string, patchSize: number, family: string): SingleViewConfig {
  if (c.do_pan_and_scan === true) {
    throw packError(`${label}: do_pan_and_scan is on; ${family} packs show the tokens of the whole image only — set "do_pan_and_scan": false in the pack's copy of this file`);
  }
  const cfg = parseSingleView({ ...c, do_center_crop: false, do_pad: false }, label, patchSize);
  if (!cfg.resize || !('height' in cfg.resize)) throw packError(`${label}: ${family} resizes to a fixed {"height", "width"}; found size ${JSON.stringify(c.size)}`);
  return cfg;
}

export const paligemma: ModelFamily<SingleViewConfig> = {
  id: 'paligemma',
  title: 'PaliGemma',
  parse: (c, _g, label, patchSize) => parseSquashed(c, label, patchSize, 'PaliGemma'),
  views: singleView,
  viewGrid: (view, cfg, tokens) => singleViewGrid(view, cfg, tokens, 'PaliGemma'),
};

export const gemma3: ModelFamily<SingleViewConfig> = {
  id: 'gemma3',
  title: 'Gemma 3',
  parse: (c, _g, label, patchSize) => parseSquashed(c, label, patchSize, 'Gemma 3'),
  views: singleView,
  viewGrid: (view, cfg, tokens) => singleViewGrid(view, cfg, tokens, 'Gemma 3'),
};
