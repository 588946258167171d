// Device choice → onnxruntime execution providers. One frozen table (the habit of transformers.js'
// backends/onnx.js); `auto` tries every device in order and falls back to the CPU with a one-line reason.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEVICE_CHOICES, type Device, type DeviceChoice } from '../shared/tokenMap';
import { badInput, EngineError } from './engineError';
import { EngineErrorCode } from '../shared/engineProtocol';
import { nvidiaDriverMissing, vulkanLoaderMissing } from './nativeLibraries';

export { nvidiaDriverMissing, vulkanLoaderMissing };

const EXECUTION_PROVIDERS: Readonly<Record<Device, string>> = Object.freeze({ cpu: 'cpu', webgpu: 'webgpu', cuda: 'cuda' });

/** The order `auto` tries: GPU providers first; CUDA only where onnxruntime-node can ship it (Linux x64). */
export const AUTO_ORDER: readonly Device[] = Object.freeze(
  process.platform === 'linux' && process.arch === 'x64' ? (['cuda', 'webgpu', 'cpu'] as Device[]) : (['webgpu', 'cpu'] as Device[]),
);

export function parseDeviceChoice(value: unknown): DeviceChoice {
  if (value === undefined) return 'auto';
  if (typeof value === 'string' && (DEVICE_CHOICES as readonly string[]).includes(value)) return value as DeviceChoice;
  throw badInput(`unknown device ${JSON.stringify(value)}; valid choices: ${DEVICE_CHOICES.join(', ')}`);
}

/**
 * Below this many multiply–adds per call a graph runs on one CPU thread. On the demo pack (encoder ≈ 50 M
 * multiply–adds) handing each small MatMul to a second thread and waiting for it cost more than it saved:
 * the encoder took 1.7 ms on one thread vs 2.2–6.2 ms on two (2-core machine, spinning off). Real-size
 * graphs (ViT-B/16 ≈ 17 G, a 151,936-word search ≈ 9 G) keep the thread pool. See docs/engine.md.
 */
export const SINGLE_THREAD_MACS = 1e8;

/**
 * `macs`: an estimate of the graph's multiply–adds per call (see `estimateMacs`), which picks the CPU thread
 * count; unknown → the pool (onnxruntime's default of one thread per physical core).
 */
export function sessionOptions(device: Device, macs?: number): ort.InferenceSession.SessionOptions {
  const threads = Number(process.env.SEA_LENS_CPU_THREADS);
  const intra = Number.isInteger(threads) && threads > 0 ? threads : device === 'cpu' && macs !== undefined && macs < SINGLE_THREAD_MACS ? 1 : undefined;
  return {
    executionProviders: [EXECUTION_PROVIDERS[device]],
    // Warnings go to the engine process's stderr; errors still reach us as exceptions.
    logSeverityLevel: 3,
    graphOptimizationLevel: 'all',
    // One request at a time runs through a session: parallel branches (inter-op) have nothing to overlap.
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(intra ? { intraOpNumThreads: intra } : {}),
    // The engine shares the CPU with VS Code and the user's own work: threads that spin while waiting
    // for work measured 20–40 % slower on a busy 2-core machine and only burn cycles on an idle one.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** Multiply–adds of a dense network with `weights` parameters applied to `tokens` rows: ≈ weights × tokens. */
export function estimateMacs(weights: number, tokens: number): number {
  return weights * tokens;
}

export interface DeviceResult<T> {
  device: Device;
  value: T;
  /** Why devices tried before `device` were not used, one line. */
  reason?: string;
}

/**
 * The CUDA provider is a separate download (`sea-lens gpu install`). Checking for its library first
 * gives a clear reason and keeps onnxruntime from logging a load failure on every `auto` start.
 */
export function cudaProviderMissing(): string | undefined {
  try {
    const dir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(path.join(dir, lib)) ? undefined : 'CUDA provider not installed (run `sea-lens gpu install`)';
  } catch {
    return undefined; // cannot tell: let onnxruntime try
  }
}

/** Why `device` cannot work here, known without loading anything native; undefined when it may. */
export function deviceMissing(device: Device): string | undefined {
  if (device === 'cuda') return nvidiaDriverMissing() ?? cudaProviderMissing();
  if (device === 'webgpu') return vulkanLoaderMissing();
  return undefined;
}

/**
 * Below this many multiply–adds per image `auto` keeps a model on the CPU even where a GPU works: uploads,
 * kernel launches and read-backs then cost more than the arithmetic. Measured on an H200 machine: the demo
 * pack (encoder ≈ 50 M multiply–adds) took 9.2 ms through WebGPU and 4.8 ms on the CPU; the real-size pack
 * (ViT-B/16 ≈ 17 G) is the GPU's (docs/bench/gpu-h200-2026-11-29.txt).
 */
export const GPU_WORTH_MACS = 1e9;

/**
 * Runs `create` on the requested device, or on each device of AUTO_ORDER until one works. Devices that
 * cannot work (deviceMissing) are skipped without a native call, so a run on a machine without a GPU
 * prints nothing but the one-line `reason` its caller shows. `macs` (the model's multiply–adds per image,
 * when known): with `auto`, a model below GPU_WORTH_MACS stays on the CPU.
 */
export async function withDevice<T>(choice: DeviceChoice, create: (device: Device) => Promise<T>, macs?: number): Promise<DeviceResult<T>> {
  if (choice !== 'auto') {
    const missing = deviceMissing(choice);
    if (missing) throw badInput(`device "${choice}" is not usable here: ${missing}. Choose another device (${DEVICE_CHOICES.join(', ')}); "auto" falls back to the CPU`);
    try {
      return { device: choice, value: await create(choice) };
    } catch (e) {
      // The CPU is always usable: a failure there is the model's (a pack file that is not ONNX), and says so.
      if (e instanceof EngineError && e.code === EngineErrorCode.PackInvalid) throw e;
      throw badInput(`device "${choice}" is not usable here: ${firstLine(e)}. Choose another device (${DEVICE_CHOICES.join(', ')}); "auto" falls back to the CPU`);
    }
  }
  const reasons: string[] = [];
  const small = macs !== undefined && macs < GPU_WORTH_MACS;
  for (const device of AUTO_ORDER) {
    const missing = deviceMissing(device);
    if (missing) {
      reasons.push(`${device}: ${missing}`);
      continue;
    }
    if (small && device !== 'cpu') {
      reasons.push(`${device}: not used for a small model (≈ ${Math.max(1, Math.round(macs / 1e6))} M multiply–adds per image; the CPU is faster for it)`);
      continue;
    }
    try {
      const value = await create(device);
      return { device, value, reason: reasons.length ? reasons.join('; ') : undefined };
    } catch (e) {
      if (device === 'cpu') throw e;
      reasons.push(`${device}: ${firstLine(e)}`);
    }
  }
  throw new Error('internal: AUTO_ORDER has no cpu entry');
}

/** onnxruntime messages start with a source location; keep the human part, on one line. */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /(Failed to [^.\n]*|No supported adapter[^.\n]*|cannot open shared object file[^.\n]*)/.exec(msg);
  return (m ? m[1] : msg.split('\n')[0]).trim().slice(0, 160);
}
