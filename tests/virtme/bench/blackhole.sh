#!/usr/bin/env bash
# Only the black-hole failover gaps of bench.sh (scripts/bench blackhole).
ONLY=blackhole exec bash "$(dirname "${BASH_SOURCE[0]}")/bench.sh"
