#!/usr/bin/env bash
# Runs the whole test suite (lint, type check, unit and real-data tests). Run scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
command -v pnpm >/dev/null 2>&1 || { echo "test: pnpm not found; run 'bash scripts/setup.sh' first" >&2; exit 1; }
pnpm --silent check
pnpm --silent proto:check
pnpm --silent test
