// Is a shared library loadable here? Looked up the way the Linux dynamic loader does (LD_LIBRARY_PATH, the
// folders of /etc/ld.so.conf(.d), the default folders), without loading it: loading Vulkan or the CUDA
// driver from inside onnxruntime is what prints native warnings on stderr when they are missing, and what
// `sea-lens gpu install` must check before a 300 MB download. Linux only; elsewhere the answer is "unknown".
// No onnxruntime import: the extension host may call it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const DEFAULT_DIRS = [
  '/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib',
  `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
  '/usr/lib/wsl/lib', // WSL's NVIDIA driver
];

function confDirs(file: string, depth = 0): string[] {
  if (depth > 3) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (!inc) {
      dirs.push(line);
      continue;
    }
    // `include /etc/ld.so.conf.d/*.conf`: only a trailing *.conf glob is used in practice.
    const pattern = inc[1].trim();
    const dir = path.dirname(pattern);
    const suffix = path.basename(pattern).replace(/^\*/, '');
    try {
      for (const f of readdirSync(dir).sort()) if (f.endsWith(suffix)) dirs.push(...confDirs(path.join(dir, f), depth + 1));
    } catch {
      /* no such folder */
    }
  }
  return dirs;
}

let searchDirs: string[] | undefined;
export function librarySearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  searchDirs ??= [...confDirs('/etc/ld.so.conf'), ...DEFAULT_DIRS];
  return [...new Set([...fromEnv, ...searchDirs])];
}

/**
 * Where `name` (e.g. libvulkan.so.1) would be loaded from, or null when it is nowhere; `undefined` off Linux.
 * The folders first (cheap), then `ldconfig -p`, so a library in a folder we do not know is still found.
 */
export function findSharedLibrary(name: string, env: NodeJS.ProcessEnv = process.env): string | null | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const d of librarySearchDirs(env)) {
    const f = path.join(d, name);
    if (existsSync(f)) return f;
  }
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 3000 });
  if (r.status !== 0 || !r.stdout) {
    const sbin = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', timeout: 3000 });
    if (sbin.status !== 0 || !sbin.stdout) return null;
    r.stdout = sbin.stdout;
  }
  const line = r.stdout.split('\n').find((l) => l.trim().startsWith(`${name} `));
  return line ? line.slice(line.indexOf('=>') + 2).trim() : null;
}

/**
 * Linux: the NVIDIA driver's user-space library. Without it the CUDA provider cannot start, and trying makes
 * onnxruntime log a load failure on stderr.
 */
export function nvidiaDriverMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findSharedLibrary('libcuda.so.1', env) === null ? 'no NVIDIA driver (libcuda.so.1 not found)' : undefined;
}

/**
 * Linux: WebGPU runs on Vulkan. Without the Vulkan loader, Dawn (inside onnxruntime) prints "Couldn't load
 * Vulkan" with a source location on stderr on every try; checking the file first keeps every run quiet.
 */
export function vulkanLoaderMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findSharedLibrary('libvulkan.so.1', env) === null ? "no Vulkan loader (libvulkan.so.1 not found; install libvulkan1 and the GPU's Vulkan driver)" : undefined;
}
