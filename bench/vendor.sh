#!/usr/bin/env bash
# One vendor with many linked facilities (default 500) publishes a product's 事業者確認用 to all of them:
# time and SQL statements (counted from sqlx's statement log) against a tenth of the clients, the vendor's
# dashboard, one facility's reconciliation. SQLite, and PostgreSQL when MAMORI_TEST_PG_URL is set.
# Release build. Not a test.
# Usage: [MAMORI_TEST_PG_URL=postgres://…] bash bench/vendor.sh [FACILITIES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-web --example vendor_publish -- "${1:-500}"
