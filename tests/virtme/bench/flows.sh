#!/usr/bin/env bash
# Per-connection spreading against bonding balance-xor (scripts/bench flows).
ONLY=flows exec bash "$(dirname "${BASH_SOURCE[0]}")/bench.sh"
