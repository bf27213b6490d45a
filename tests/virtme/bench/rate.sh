#!/usr/bin/env bash
# The 64-byte packet rate each way only (scripts/bench rate): 9 rounds,
# as the spread under emulation needs more than the full run's 5.
BENCH_REPS=${BENCH_REPS:-9} ONLY=rate exec bash "$(dirname "${BASH_SOURCE[0]}")/bench.sh"
