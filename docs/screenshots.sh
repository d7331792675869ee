#!/usr/bin/env bash
# Regenerates the operator guide's screenshots (docs/images/*.png) by walking the guide in the browser on a
# fresh database: bash docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p mamori
out="$PWD/docs/images"
mkdir -p "$out"
(cd e2e && npm ci --no-audit --no-fund >/dev/null && MAMORI_E2E_DIR= MAMORI_GUIDE_DIR="$out" npx playwright test -c guide.config.js)
ls -l "$out"
