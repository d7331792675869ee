#!/usr/bin/env bash
# Builds the release zips into target/dist (not committed): Mamori and its agent for Linux x86_64
# (glibc), the agent alone linked statically (musl; the whole server too with MAMORI_DIST_MUSL=1, ten
# more minutes on two cores) and both for Windows x86_64
# (x86_64-pc-windows-gnu with Debian's mingw-w64), each with a Japanese README, the licences (Mamori's,
# the IPAex font's, endoflife.date's data, every compiled-in crate's) and SHA-256 sums; prints each
# zip's size and hash. Needs: rustup's x86_64-pc-windows-gnu and x86_64-unknown-linux-musl targets,
# gcc-mingw-w64-x86-64, musl-tools, zip.
#
#   bash tools/dist.sh            # Linux (glibc) and Windows
#   DIST_TARGETS="windows linux-musl" bash tools/dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
targets=${DIST_TARGETS:-"linux linux-agent-musl windows"}
if [ "${MAMORI_DIST_MUSL:-}" = 1 ]; then targets="$targets linux-musl"; fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=target/dist
# Each target replaces its own zips; the sums below cover the zips present.
mkdir -p "$out"

# Files every zip carries: Mamori's licence, the font's, the lifecycle data's.
common() {
  local dir=$1
  mkdir -p "$dir/licenses"
  cp LICENSE "$dir/LICENSE"
  cp crates/mamori-pdf/fonts/IPA_Font_License_Agreement_v1.0.txt "$dir/licenses/IPAexFont-LICENSE.txt"
  cp crates/mamori-pdf/fonts/README.md "$dir/licenses/IPAexFont-README.md"
  cp crates/mamori-lifecycle/data/LICENSE-endoflife "$dir/licenses/endoflife.date-LICENSE.txt"
}

# Sums of the zip's own files, then the zip, its size and hash.
finish() {
  local dir=$1 sums=$2
  (cd "$dir" && find . -type f ! -name "$sums" | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum > "$sums")
  local name
  name=$(basename "$dir")
  (cd "$(dirname "$dir")" && rm -f "$name.zip" && zip -q -r -X "$name.zip" "$name")
  rm -rf "$dir"
}

build() {
  local triple=$1
  shift
  echo "== cargo build --profile release-zip --target $triple $*"
  local started=$SECONDS
  cargo build --locked --profile release-zip --target "$triple" "$@"
  echo "   built in $((SECONDS - started)) s"
}

linux_zip() {
  local triple=$1 libc=$2 suffix=$3 note=$4
  build "$triple" -p mamori -p mamori-agent --bins
  local dir="$out/mamori-$version-linux-x86_64$suffix"
  mkdir -p "$dir/deploy"
  cp "target/$triple/release-zip/mamori" "target/$triple/release-zip/mamori-agent" "$dir/"
  cp deploy/mamori.service deploy/mamori.toml.example deploy/nginx-mamori.conf "$dir/deploy/"
  sed -e "s/@VERSION@/$version/g" -e "s/@LIBC@/$libc/g" -e "s|@LIBC_NOTE@|$note|g" \
    tools/dist/README-linux.txt > "$dir/README.txt"
  common "$dir"
  python3 tools/dist/third_party.py "$triple" mamori mamori-agent > "$dir/licenses/THIRD-PARTY.txt"
  finish "$dir" SHA256SUMS.txt
}

# The agent alone, linked statically (musl): it goes on every Linux machine of a facility, old ones too.
linux_agent_musl_zip() {
  local triple=x86_64-unknown-linux-musl
  if ! command -v musl-gcc >/dev/null || ! rustup target add "$triple" >/dev/null 2>&1; then
    echo "SKIP the static Linux agent: musl-gcc (Debian musl-tools) or the rustup target $triple is missing"
    return
  fi
  CC_x86_64_unknown_linux_musl=musl-gcc build "$triple" -p mamori-agent --bins
  local dir="$out/mamori-agent-$version-linux-x86_64-musl"
  mkdir -p "$dir"
  cp "target/$triple/release-zip/mamori-agent" "$dir/"
  sed "s/@VERSION@/$version/g" tools/dist/README-agent-linux.txt > "$dir/README.txt"
  common "$dir"
  python3 tools/dist/third_party.py "$triple" mamori-agent > "$dir/licenses/THIRD-PARTY.txt"
  finish "$dir" SHA256SUMS.txt
}

# Windows text files: UTF-8 with a byte-order mark and CRLF, as Notepad expects.
windows_text() {
  printf '\xef\xbb\xbf'
  sed 's/$/\r/'
}

windows_zips() {
  local triple=x86_64-pc-windows-gnu
  build "$triple" -p mamori -p mamori-agent --bins
  local server="$out/mamori-$version-windows-x86_64" agent="$out/mamori-agent-$version-windows-x86_64"
  mkdir -p "$server" "$agent"
  cp "target/$triple/release-zip/mamori.exe" "target/$triple/release-zip/mamori-agent.exe" "$server/"
  cp "target/$triple/release-zip/mamori-agent.exe" "$agent/"
  sed "s/@VERSION@/$version/g" tools/dist/README-windows.txt | windows_text > "$server/README.txt"
  cp "$server/README.txt" "$agent/README.txt"
  common "$server"
  common "$agent"
  python3 tools/dist/third_party.py "$triple" mamori mamori-agent > "$server/licenses/THIRD-PARTY.txt"
  python3 tools/dist/third_party.py "$triple" mamori-agent > "$agent/licenses/THIRD-PARTY.txt"
  finish "$server" SHA256SUMS.txt
  finish "$agent" SHA256SUMS.txt
}

for t in $targets; do
  case $t in
    linux) linux_zip x86_64-unknown-linux-gnu glibc "" "glibc 2.35 以降（Debian 12、Ubuntu 22.04、RHEL 10 以降など）で動きます。" ;;
    linux-musl)
      if command -v musl-gcc >/dev/null && rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
        CC_x86_64_unknown_linux_musl=musl-gcc linux_zip x86_64-unknown-linux-musl musl -musl \
          "静的にリンクしてあり、glibc の版によらず動きます。"
      else
        echo "SKIP musl: musl-gcc (Debian musl-tools) or the rustup target x86_64-unknown-linux-musl is missing"
      fi
      ;;
    linux-agent-musl) linux_agent_musl_zip ;;
    windows) windows_zips ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done

(cd "$out" && sha256sum ./*.zip | sed 's| \./| |' > SHA256SUMS)
echo "== release zips in $out"
python3 - "$out" <<'PY'
import hashlib, os, sys, zipfile
out = sys.argv[1]
for name in sorted(f for f in os.listdir(out) if f.endswith(".zip")):
    path = os.path.join(out, name)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    print("%-46s %10d bytes  sha256 %s" % (name, os.path.getsize(path), digest))
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            base = os.path.basename(info.filename)
            if base in ("mamori", "mamori-agent", "mamori.exe", "mamori-agent.exe"):
                print("    %-42s %10d bytes" % (info.filename, info.file_size))
PY
