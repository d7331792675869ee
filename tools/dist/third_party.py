#!/usr/bin/env python3
"""Writes the notices of the Rust crates compiled into a release binary (the licences of MIT and
similar crates ask that their notice travel with the binary): each crate's name, version, licence and
source, then the licence files it ships. Usage: third_party.py TARGET-TRIPLE BIN-PACKAGE... > FILE"""

import json
import os
import subprocess
import sys

target, roots = sys.argv[1], sys.argv[2:]
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target]))
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

# What ends up in the binary: normal dependencies, walked from the binaries' packages; proc macros and
# build scripts run at build time only.
wanted = [p["id"] for p in meta["packages"] if p["name"] in roots and p["source"] is None]
seen = set()
while wanted:
    pid = wanted.pop()
    if pid in seen:
        continue
    seen.add(pid)
    for dep in nodes[pid]["deps"]:
        if any(k["kind"] is None for k in dep["dep_kinds"]):
            wanted.append(dep["pkg"])

def is_proc_macro(p):
    return all("proc-macro" in t["kind"] for t in p["targets"])

crates = sorted((packages[i] for i in seen
                 if packages[i]["source"] is not None and not is_proc_macro(packages[i])),
                key=lambda p: (p["name"], p["version"]))

out = sys.stdout
out.write("Mamori に組み込まれている第三者のソフトウェア（Rust のクレート）と、その使用許諾\n")
out.write("Third-party Rust crates compiled into Mamori (%s) and their licences\n\n" % target)
for p in crates:
    out.write("- %s %s — %s — %s\n" % (p["name"], p["version"], p.get("license") or "(see file)",
                                      p.get("repository") or "crates.io"))
out.write("\n")
for p in crates:
    folder = os.path.dirname(p["manifest_path"])
    files = sorted(f for f in os.listdir(folder)
                   if f.upper().startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "COPYRIGHT"))
                   and os.path.isfile(os.path.join(folder, f)))
    if not files and p.get("license_file"):
        files = [p["license_file"]]
    for f in files:
        with open(os.path.join(folder, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read().strip()
        out.write("=" * 78 + "\n%s %s: %s\n" % (p["name"], p["version"], f) + "=" * 78 + "\n")
        out.write(text + "\n\n")
    if not files:
        out.write("=" * 78 + "\n%s %s: %s (no licence file in the crate)\n" %
                  (p["name"], p["version"], p.get("license")) + "=" * 78 + "\n\n")
