// The project's pinned Python environment: <repo>/.venv with python/requirements-hf.txt installed (recent
// torch + transformers for the Hugging Face tests and `sea-lens pack init`; Debian's torch is too old).
// Created when missing, reinstalled when the requirements file changed (its SHA-256 is kept in a stamp file
// inside .venv). Uses nothing but Node itself. A failed install (no network, disk full) is reported once with
// its reason, written to .venv/.sealens-install-failed for the tests that need it, and never throws: the
// dependent tests skip with that reason. Once the venv is ready, ensure-mistral-tokenizers.mjs adds the Mistral
// tokenizer fixtures (.venv/fixtures/mistral) the vocabulary tests use.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMistralTokenizers } from './ensure-mistral-tokenizers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VENV = path.join(root, '.venv');
const REQUIREMENTS = path.join(root, 'python', 'requirements-hf.txt');
const STAMP = path.join(VENV, '.sealens-requirements.sha256');
export const FAILED = path.join(VENV, '.sealens-install-failed');
// Outside .venv: `python -m venv --clear` empties that folder.
const LOCK = path.join(tmpdir(), `sealens-venv-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`);
const LOG = path.join(VENV, 'pip-install.log');
// torch 2.9.1 with its nvidia-*-cu12 wheels takes about 5.5 GB installed, plus pip's unpacking space.
const MIN_FREE_BYTES = 10 * 1024 ** 3;

export const venvPython = (venv = VENV) =>
  process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Another ensure-python (a background install, a parallel `npm test`) holds the lock: wait for it. */
function acquireLock() {
  const deadline = Date.now() + 45 * 60_000;
  for (let said = false; ; ) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return true;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
    } catch { /* the holder is between mkdir and writing its pid */ }
    if (Number.isInteger(pid) && !alive(pid)) {
      rmSync(LOCK, { recursive: true, force: true }); // left by a killed install
      continue;
    }
    if (Date.now() > deadline) return false;
    if (!said) console.log(`ensure-python: another install of ${VENV} is running (pid ${pid}); waiting for it`);
    said = true;
    sleep(5000);
  }
}

const releaseLock = () => rmSync(LOCK, { recursive: true, force: true });

function runsOk(python) {
  return spawnSync(python, ['-c', 'import sys'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** The interpreter that creates the venv: $SEALENS_VENV_PYTHON, else python3, else the system's. */
function createVenv() {
  const bases = [process.env.SEALENS_VENV_PYTHON, process.platform === 'win32' ? 'python' : 'python3', '/usr/bin/python3'].filter(Boolean);
  const errors = [];
  for (const base of [...new Set(bases)]) {
    const r = spawnSync(base, ['-m', 'venv', '--clear', VENV], { encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0 && runsOk(venvPython())) {
      console.log(`ensure-python: created ${VENV} with ${base}`);
      return undefined;
    }
    errors.push(`${base}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop() || `exit ${r.status}`}`);
  }
  return `could not create the virtual environment ${VENV} (${errors.join('; ')}). Install Python ≥ 3.9 with venv (Debian: \`apt install python3-venv\`) or set SEALENS_VENV_PYTHON.`;
}

/** One line that says why pip failed and what fixes it, from its log. */
function pipFailure(log, status) {
  if (/No space left on device/i.test(log)) return `disk full while installing into ${VENV} (free ≥ 10 GB, then rerun \`node scripts/ensure-python.mjs\`)`;
  if (/NewConnectionError|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|ReadTimeout|ProxyError|No matching distribution found/i.test(log)) {
    const m = /(No matching distribution found for \S+|Temporary failure in name resolution|Network is unreachable|Failed to establish a new connection: \[Errno -?\d+\] [^'")\n]+|Read timed out)/.exec(log);
    return `pip could not download the pinned packages (no network?${m ? ` ${m[1].trim()}` : ''}); rerun \`node scripts/ensure-python.mjs\` when online`;
  }
  const last = log.trim().split('\n').filter((l) => /error/i.test(l)).pop() ?? log.trim().split('\n').pop() ?? '';
  return `pip install -r python/requirements-hf.txt failed (exit ${status}): ${last.trim().slice(0, 200)} (full log: ${LOG})`;
}

function install(hash) {
  if (!existsSync(venvPython()) || !runsOk(venvPython())) {
    const err = createVenv();
    if (err) return err;
  }
  try {
    const free = statfsSync(VENV);
    if (free.bavail * free.bsize < MIN_FREE_BYTES) {
      return `only ${(free.bavail * free.bsize / 1024 ** 3).toFixed(1)} GB free on the disk of ${VENV}; torch + transformers need about 10 GB`;
    }
  } catch { /* statfs unsupported: let pip find out */ }
  console.log(`ensure-python: installing python/requirements-hf.txt into ${VENV} (torch with CUDA wheels: a few minutes; log ${LOG})`);
  const fd = openSync(LOG, 'w');
  const started = Date.now();
  const r = spawnSync(venvPython(), ['-m', 'pip', 'install', '--retries', '2', '--progress-bar', 'off', '-r', REQUIREMENTS], { stdio: ['ignore', fd, fd], cwd: root });
  closeSync(fd);
  if (r.status !== 0) return pipFailure(readFileSync(LOG, 'utf8'), r.status ?? r.signal);
  writeFileSync(STAMP, hash + '\n');
  console.log(`ensure-python: ${VENV} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return undefined;
}

/** The venv is ready: add the test fixtures made with it (a failure there only skips the tests that need them). */
function ready() {
  ensureMistralTokenizers(venvPython());
  return { ok: true, python: venvPython() };
}

/**
 * Makes <repo>/.venv match python/requirements-hf.txt. Returns { ok: true, python } or { ok: false, reason };
 * never throws, so `npm test` carries on and the tests that need the venv skip with `reason`.
 */
export function ensurePythonEnv() {
  const hash = sha256(REQUIREMENTS);
  const current = () => existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash && runsOk(venvPython());
  if (current()) return ready();
  let reason;
  try {
    mkdirSync(VENV, { recursive: true });
    if (!acquireLock()) return { ok: false, reason: `timed out waiting for another install of ${VENV}` };
    try {
      if (current()) return ready(); // the install we waited for did it
      rmSync(FAILED, { force: true });
      reason = install(hash);
    } finally {
      releaseLock();
    }
  } catch (e) {
    reason = `could not prepare ${VENV}: ${e.message}`;
  }
  if (!reason) return ready();
  console.warn(`ensure-python: ${reason}\n  The Hugging Face tests (python/tests_hf) skip with this reason.`);
  try {
    writeFileSync(FAILED, reason + '\n');
  } catch { /* .venv itself could not be written: the warning above is all we can do */ }
  return { ok: false, reason };
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(ensurePythonEnv().ok ? 0 : 1);
