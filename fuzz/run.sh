#!/usr/bin/env bash
# Builds the fuzz targets with coverage instrumentation (what `cargo fuzz` does, on the
# stable toolchain, without a sanitizer) and runs each for a bounded time.
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET); a crash stops the
# run with a non-zero exit and leaves its input in fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-10}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(ingest_body mapping fql attribute_values)
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
cargo build --release --locked --target "$host" --bins
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    seeds=()
    [ -d "seeds/$target" ] && seeds=("seeds/$target")
    echo "fuzz: $target for ${seconds}s"
    "$CARGO_TARGET_DIR/$host/release/$target" "corpus/$target" "${seeds[@]}" \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 2>&1 | tail -n 12
done
