#!/usr/bin/env bash
# The 64-byte packet rate each way only (scripts/bench rate).
ONLY=rate exec bash "$(dirname "${BASH_SOURCE[0]}")/bench.sh"
