// The run view's settings card: what the run was asked for (its config.json, with the schema's defaults
// for keys it leaves out) and, once the trainer started, what it really used (device, images, steps).

import { RUN_CONFIG_DEFAULTS, type ProgressEvent, type RunConfig } from '../../src/shared/trainingProtocol';

export interface SettingRow {
  name: string;
  value: string;
  /** The value is the schema's default, not written in the config. */
  defaulted: boolean;
}

const baseName = (p: string): string => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function runSettings(config: Partial<RunConfig> | undefined, events: readonly ProgressEvent[]): SettingRow[] {
  const c = config ?? {};
  const rows: SettingRow[] = [];
  const add = (name: string, value: unknown, fallback?: unknown, show: (v: unknown) => string = String) => {
    const has = value !== undefined && value !== null && value !== '';
    if (!has && fallback === undefined) return;
    rows.push({ name, value: show(has ? value : fallback), defaulted: !has });
  };
  add('pack', c.pack, undefined, (v) => baseName(String(v)));
  add('dataset', c.imageFolder ? `${c.dataset} (${baseName(c.imageFolder)})` : c.dataset);
  add('start adapter', c.startAdapter, 'fresh');
  add('output adapter', c.outputName);
  add('λ', c.lambda, RUN_CONFIG_DEFAULTS.lambda);
  add('learning rate', c.learningRate, RUN_CONFIG_DEFAULTS.learningRate);
  add('batch size', c.batchSize, RUN_CONFIG_DEFAULTS.batchSize);
  add('epochs', c.epochs, RUN_CONFIG_DEFAULTS.epochs);
  add('seed', c.seed, RUN_CONFIG_DEFAULTS.seed);
  const start = [...events].reverse().find((e): e is Extract<ProgressEvent, { event: 'start' }> => e.event === 'start');
  const device = c.device ?? RUN_CONFIG_DEFAULTS.device;
  // "auto" says little: once the trainer started, show the device it chose
  rows.push({ name: 'device', value: start && start.device !== device ? `${device} → ${start.device}${start.worldSize > 1 ? ` × ${start.worldSize}` : ''}` : device, defaulted: c.device === undefined });
  if (start) {
    rows.push({ name: 'images', value: `${start.trainImages} train · ${start.validationImages} validation${start.skippedImages ? ` · ${start.skippedImages} skipped` : ''}`, defaulted: false });
    rows.push({ name: 'steps', value: `${start.totalSteps} (${start.stepsPerEpoch} per epoch)`, defaulted: false });
    rows.push({ name: 'losses trained', value: [start.lossG ? 'L_g' : '', start.lossA ? 'L_a' : ''].filter(Boolean).join(' + ') || 'none', defaulted: false });
  }
  return rows;
}
