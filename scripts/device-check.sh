#!/usr/bin/env bash
# The whole real-GPU check in one command, for a bare machine that has only the working tree, the
# built dist/ and the packed .device/ (Node, the `webgpu` package, Vulkan loaders: see
# docs/real-gpu.md). Runs the GPU-vs-CPU cases (dist/check/gpu-check.js), then the benchmarks
# (bench/node.mjs: core, family, epilogue, attention; bench/host.mjs if it exists), and writes at
# most 8 files into $OUT, named by adapter:
#   <adapter>-log.txt          everything printed, with the machine's details first
#   <adapter>-summary.txt      one line per step: exit status and seconds
#   <adapter>-gpu-check.json   every case's result
#   <date>-node-[suite-]<adapter>.json   the benchmark samples, one file per suite
#   the JSON the host-cost bench wrote under bench/results (named by date and adapter), if it ran
# Usage (in the project root):
#   OUT=/some/dir bash .device/on-device.sh bash scripts/device-check.sh
# Environment: DEVICE_CHECK_BUDGET_S (seconds for the whole script, default 420; every step gets a
# share of what is left and is stopped at it, so partial results are always written),
# BENCH_MAX_LOG2 (the largest benchmark size, 2^N elements; default: 2^26 or the device's limit,
# 2^24 on SwiftShader), BENCH_SAMPLES (default 20), BENCH_ARGS (more bench/node.mjs options),
# HOST_BENCH_ARGS (more bench/host.mjs options; it runs with --env node: there is no Chrome),
# GPU_CHECK_ARGS (options for the check, e.g. --filter f16 or --schedule NAME).
# Exits 0 when every step passed, else 1 (after writing everything).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device-check}
mkdir -p "$OUT"
budget=${DEVICE_CHECK_BUDGET_S:-420}
samples=${BENCH_SAMPLES:-20}
start=$(date +%s)
deadline=$((start + budget))
marker=$(mktemp)
status=0

# The adapter, as a file-name slug (the same as bench/node.mjs uses).
slug=$(node --input-type=module -e '
  const { requestNodeAdapter } = await import("./dist/node.js");
  const a = await requestNodeAdapter();
  const i = a.info ?? {};
  console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" ").replace(/[^a-z0-9]+/gi, "-").toLowerCase().replace(/^-+|-+$/g, ""));
  process.exit(0);
' 2>/dev/null | tail -n 1)
slug=${slug:-no-adapter}
log="$OUT/$slug-log.txt"
summary="$OUT/$slug-summary.txt"
: > "$log"
: > "$summary"
say() { echo "$*" | tee -a "$log"; }

say "# webgpu-dropout device check, $(date -u +%Y-%m-%dT%H:%M:%SZ), budget ${budget} s"
say "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); node $(node --version); $(uname -srm)"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
if command -v nvidia-smi >/dev/null; then
  say "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader 2>&1)"
fi
say "vulkan driver: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-system default}}"
say "adapter slug: $slug"
say ""

# step NAME WEIGHT COMMAND…: runs COMMAND with a soft limit (written for @SOFT@ in its arguments,
# for --time-limit) of WEIGHT / (the weights of this and the later steps) of the time left, and a
# hard one 30 s later (never past the deadline).
weights_left=$((35 + 20 + 12 + 10 + 8 + 10))
step() {
  local name=$1 weight=$2
  shift 2
  local now left soft
  now=$(date +%s)
  left=$((deadline - now))
  soft=$((left * weight / weights_left))
  weights_left=$((weights_left - weight))
  if [ "$soft" -lt 10 ]; then
    say "✗ $name: skipped, out of time (${left} s left of ${budget})"
    echo "$name: skipped (out of time)" >> "$summary"
    status=1
    return
  fi
  local hard=$((soft + 30 < left ? soft + 30 : left))
  local args=() a
  for a in "$@"; do args+=("${a//@SOFT@/$soft}"); done
  say "• $name (soft limit ${soft} s, hard ${hard} s): ${args[*]}"
  local t0
  t0=$(date +%s)
  timeout -k 5 "$hard" "${args[@]}" 2>&1 | grep --line-buffered -v -e '^Warning: Vulkan' -e '^ - While initializing adapter' -e '^    at InitializeImpl' | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  local took
  took=$(($(date +%s) - t0))
  if [ "$rc" -eq 0 ]; then
    say "✓ $name (${took} s)"
  else
    status=1
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then say "✗ $name: stopped at the hard limit (${took} s)"; else say "✗ $name: exit $rc (${took} s)"; fi
  fi
  echo "$name: exit $rc, ${took} s" >> "$summary"
  say ""
}

# GPU_CHECK_ARGS is meant to split into options.
# shellcheck disable=SC2086
step "GPU-vs-CPU cases" 35 node dist/check/gpu-check.js --time-limit @SOFT@ --json "$OUT/$slug-gpu-check.json" ${GPU_CHECK_ARGS:-}
for suite in core family epilogue attention; do
  case $suite in core) w=20 ;; family) w=12 ;; epilogue) w=10 ;; attention) w=8 ;; esac
  # BENCH_ARGS is meant to split into options.
  # shellcheck disable=SC2086
  step "bench $suite" "$w" node bench/node.mjs --suite "$suite" --samples "$samples" --time-limit @SOFT@ --out "$OUT" ${BENCH_ARGS:-}
done
if [ -f bench/host.mjs ]; then
  # shellcheck disable=SC2086
  step "host-cost bench" 10 node bench/host.mjs --env node ${HOST_BENCH_ARGS:-}
  # Its JSON (the markdown beside it is in the log, and `node bench/host.mjs --report` renders it).
  newest=$(find bench/results -type f -name '*.json' -newer "$marker" 2>/dev/null | head -n 1)
  [ -n "$newest" ] && cp "$newest" "$OUT/" && say "host-cost results: $(basename "$newest")"
else
  say "(no bench/host.mjs: host-cost bench not run)"
  echo "host-cost bench: not present" >> "$summary"
fi
rm -f "$marker"

say "# the rows of docs/real-gpu.md's results table (bench/summary.mjs)"
find "$OUT" -maxdepth 1 -name '*-node-*.json' -exec node bench/summary.mjs {} + 2>&1 | tee -a "$log"
say ""

say "# summary ($(($(date +%s) - start)) s of ${budget})"
tee -a "$log" < "$summary"
files=$(find "$OUT" -maxdepth 1 -type f | wc -l)
[ "$files" -le 8 ] || say "warning: $files files in $OUT (8 come back from a device run)"
exit "$status"
