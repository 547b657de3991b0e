#!/usr/bin/env bash
# Times a from-scratch training of the full model (issue 8: target <= 5 minutes on this machine):
# the same `rasa train` as `make train`, into a temporary --out with an empty cache
# (RASA_CACHE_DIRECTORY), so nothing is reused from earlier trainings and models/ is untouched.
# Run through `make bench-train`, which holds /tmp/train.lock (one training at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
work="$(mktemp -d /tmp/bench-train.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export RASA_CACHE_DIRECTORY="$work/cache"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
.venv/bin/rasa train --config config.yml --domain bot/domain --data data --out "$work/models" \
    --fixed-model-name assistant --num-threads 2 >"$work/train.log" 2>&1 || { tail -40 "$work/train.log"; echo "bench-train: training failed"; exit 2; }
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc)
size=$(du -m "$work/models/assistant.tar.gz" | cut -f1)
secs=${seconds%.*}
verdict=MISSED; [ "$secs" -le 300 ] && verdict=met
echo "training from scratch (empty cache, --num-threads 2): ${secs} s ($((secs / 60)) min $((secs % 60)) s), model ${size} MB; target <= 5 min: $verdict"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
