#!/usr/bin/env bash
# The project's test command: formatting, lints, and every crate's tests including the
# acceptance suites in tests/ (conformance, end to end, real clients, crashes and faults).
# Installs what the client suites need (headless Chromium, the npm and PyPI Segment clients)
# first; that step is idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/install-test-deps.sh ]; then
  bash scripts/install-test-deps.sh
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end suites run the real binary; build it once up front.
cargo build --locked -p segment-attio --bin segment-attio
cargo test --workspace --locked
