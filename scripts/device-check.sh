#!/usr/bin/env bash
# Runs on the lent GPU machine, from the repo root, with .device/ carried (scripts/device-pack.sh):
# the device check (every adapter-dependent kernel choice both ways against the CPU reference),
# the op benchmark against tfjs-webgpu on the same adapter, then the whole-model benchmark in Node
# (Condense and tfjs-webgpu; onnxruntime-web is not in the pack). Results go to $OUT (or /tmp).
# The model cases run once more for MobileNetV2 with pointwiseTiles=false (the 1x1 kernel choice).
# MODELS=a,b picks model cases (default: the full preset); MODELS=none leaves them out.
set -uo pipefail
out="${OUT:-/tmp/device-out}"
mkdir -p "$out" /tmp/condense
xz -dc .device/node.xz > /tmp/condense/node && chmod +x /tmp/condense/node
xz -dc .device/dawn.node.xz > .device/app/node_modules/webgpu/dist/linux-x64/dawn.node
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in .device/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true

node=/tmp/condense/node
"$node" .device/app/check.js 2>&1 | tee "$out/check.log"
check=${PIPESTATUS[0]}
"$node" .device/app/cli.js --out "$out/bench.json" "$@" 2>&1 | tee "$out/bench.log"
bench=${PIPESTATUS[0]}
models=0
if [ "${MODELS:-}" != none ]; then
  # The model files sit where bench/models.ts looks for them (the repo's model cache).
  if [ ! -e node_modules/.cache/condense-models ] && [ -d .device/models ]; then
    mkdir -p node_modules/.cache && ln -s "$PWD/.device/models" node_modules/.cache/condense-models
  fi
  "$node" .device/app/cli.js --models ${MODELS:-} --in node --no-ort-webgpu --no-ort-wasm --out "$out/models.json" 2>&1 | tee "$out/models.log"
  models=${PIPESTATUS[0]}
  # The 1x1 convs' kernel choice the other way on this GPU (GPU default: shared-memory tiles), on
  # the model made of them, so the closing note can say whether the tiles pay here.
  if [ "${MODELS:-}" = "" ] || [[ ",${MODELS}," == *",mobilenetv2,"* ]]; then
    "$node" .device/app/cli.js --models mobilenetv2 --in node --no-tfjs --no-ort-webgpu --no-ort-wasm --engine-option pointwiseTiles=false --out "$out/models-no-tiles.json" 2>&1 | tee "$out/models-no-tiles.log"
  fi
fi
echo "device check exit $check, bench exit $bench, models exit $models"
[ "$check" -eq 0 ] && [ "$bench" -eq 0 ] && [ "$models" -eq 0 ]
