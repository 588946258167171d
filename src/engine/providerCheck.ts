// Which onnxruntime execution providers work on this machine, each tried in its own short-lived process
// (providerProbe.ts) with a timeout, so a hanging or crashing GPU driver costs a line in the report and
// nothing else. Imports no onnxruntime itself: safe to call from the extension host.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Device } from '../shared/tokenMap';

export interface ProviderStatus {
  device: Device;
  usable: boolean;
  /** Session creation + first run of the probe graph, in the probe process. */
  ms?: number;
  /** Why it is unusable, one line. */
  reason?: string;
  /** What would make it usable. */
  fix?: string;
}

export interface ProviderReport {
  /** onnxruntime-node's version, null when it is not installed. */
  version: string | null;
  providers: ProviderStatus[];
}

/** Prefix of the probe's answer line (onnxruntime may print its own lines to stdout). */
export const PROBE_MARK = 'sealens-provider-probe:';

/** The probe script: beside the bundle (dist/providerProbe.js), or the TypeScript source under tsx. */
export function providerProbeCommand(): { script: string; execArgv: string[]; cwd: string } {
  const fromSource = __filename.endsWith('.ts');
  return fromSource
    ? { script: path.join(__dirname, 'providerProbe.ts'), execArgv: ['--import', 'tsx'], cwd: path.resolve(__dirname, '..', '..') }
    : { script: path.join(__dirname, 'providerProbe.js'), execArgv: [], cwd: path.resolve(__dirname, '..') };
}

function onnxruntimeVersion(): string | null {
  try {
    const main = require.resolve('onnxruntime-node');
    // main is <pkg>/dist/index.js: the package.json is the nearest one above it.
    for (let d = path.dirname(main), i = 0; i < 4; i++, d = path.dirname(d)) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8'));
        if (pkg.name === 'onnxruntime-node') return String(pkg.version);
      } catch { /* go up */ }
    }
    return 'unknown';
  } catch {
    return null;
  }
}

interface ProbeAnswer { ok: boolean; ms?: number; output?: number[]; error?: string }

function runProbe(device: Device, timeoutMs: number): Promise<ProbeAnswer> {
  const { script, execArgv, cwd } = providerProbeCommand();
  return new Promise((resolve) => {
    // ELECTRON_RUN_AS_NODE: in the extension host process.execPath is VS Code's Electron.
    const child = spawn(process.execPath, [...execArgv, script, device], { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `the probe process did not start: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(PROBE_MARK));
      if (line) {
        try {
          return resolve(JSON.parse(line.slice(PROBE_MARK.length)) as ProbeAnswer);
        } catch { /* fall through */ }
      }
      if (signal === 'SIGKILL') return resolve({ ok: false, error: `did not answer within ${timeoutMs / 1000} s (the driver hangs on session creation); the probe was stopped` });
      const tail = err.trim().split('\n').filter(Boolean).pop() ?? '';
      resolve({ ok: false, error: `the probe process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} (a native crash)${tail ? `: ${tail.slice(0, 200)}` : ''}` });
    });
  });
}

function fixFor(device: Device, reason: string): string {
  if (device === 'cuda') {
    return /not installed/.test(reason)
      ? 'Install the CUDA provider: `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node` in the SEA Lens folder (needs an NVIDIA driver and CUDA 12 + cuDNN 9 libraries).'
      : 'Check the NVIDIA driver (`nvidia-smi`) and that the CUDA 12 / cuDNN 9 libraries are on the library path; `seaLens.device` = auto uses another device meanwhile.';
  }
  if (device === 'webgpu') {
    return process.platform === 'linux'
      ? 'WebGPU needs a GPU with a Vulkan driver: `apt install libvulkan1 mesa-vulkan-drivers` (or the NVIDIA driver\'s Vulkan ICD). Without a GPU, `auto` uses the CPU, which is fine for small models.'
      : 'WebGPU needs a GPU driver with D3D12 (Windows) or Metal (macOS); update the graphics driver.';
  }
  return 'Reinstall the npm dependencies (`npm ci` in the SEA Lens folder): the CPU provider ships with onnxruntime-node.';
}

const close = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-3 * (1 + Math.abs(b[i])));

/**
 * Tries cpu, webgpu and cuda one after the other (in parallel they would fight over a small machine's cores).
 * 20 s each: the CPU session takes 0.1–0.7 s on a busy 2-core machine; a GPU driver that needs longer hangs.
 */
export async function checkProviders(timeoutMs = 20_000): Promise<ProviderReport> {
  const version = onnxruntimeVersion();
  const devices: Device[] = ['cpu', 'webgpu', 'cuda'];
  if (version === null) {
    const reason = 'onnxruntime-node is not installed';
    return { version, providers: devices.map((device) => ({ device, usable: false, reason, fix: 'Run `npm ci` in the SEA Lens folder.' })) };
  }
  const providers: ProviderStatus[] = [];
  let reference: number[] | undefined;
  for (const device of devices) {
    const r = await runProbe(device, timeoutMs);
    if (r.ok && device === 'cpu') reference = r.output;
    // A GPU provider that runs but computes something else than the CPU is worse than none.
    if (r.ok && reference && r.output && !close(r.output, reference)) {
      const reason = `runs, but its result differs from the CPU's (first value ${r.output[0]} vs ${reference[0]})`;
      providers.push({ device, usable: false, reason, fix: fixFor(device, reason) });
      continue;
    }
    providers.push(r.ok ? { device, usable: true, ms: r.ms } : { device, usable: false, reason: r.error, fix: fixFor(device, r.error ?? '') });
  }
  return { version, providers };
}
