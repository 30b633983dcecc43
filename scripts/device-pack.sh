#!/usr/bin/env bash
# Packs what a check on a lent GPU needs into .device/ (ignored by git; about 30 MB), because the
# device machine has no Node, no node_modules and no network: a stripped, xz'd copy of this
# machine's node, Dawn's native addon (the `webgpu` package), the benchmark CLI and the device
# check bundled with tfjs (bench/vite.device.config.ts), and the Vulkan loader's .deb.
# Then, with the device tool: run `bash scripts/device-check.sh` with carry [".device"].
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device && mkdir -p .device/debs

npx vite build -c bench/vite.device.config.ts
mkdir -p .device/app/node_modules/webgpu/dist/linux-x64
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .device/app/node_modules/webgpu/
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .device/dawn.node.xz

node_bin="$(command -v node)"
cp "$node_bin" .device/node && strip .device/node 2>/dev/null || true
xz -T0 -6 -f .device/node

# The whole-model cases' third-party files (the `full` preset of bench/models.ts: MobileNetV2,
# ESRGAN-slim, PP-OCR cls and det; about 9 MB), from the model cache, where device-check.sh
# links them back. The digit model is tracked in git and travels with the tree.
cache=node_modules/.cache/condense-models
mkdir -p .device/models
for d in nsfwjs-mobilenet-v2 upscalerjs-esrgan-slim-x2 ppocr-mobile-v2-cls ppocr-v4-det; do
  [ -d "$cache/$d" ] || { echo "missing $cache/$d: run node scripts/fetch-models.mjs and scripts/fetch-onnx-models.mjs" >&2; exit 1; }
  cp -r "$cache/$d" .device/models/
done

# Vulkan loader for Dawn (the NVIDIA driver brings its ICD, not always the loader).
(cd .device/debs && apt-get download libvulkan1 >/dev/null 2>&1) || echo 'note: no libvulkan1 .deb (apt-get download failed); the device must have the loader'
du -sh .device
