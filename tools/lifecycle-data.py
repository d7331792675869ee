#!/usr/bin/env python3
"""Writes crates/mamori-lifecycle/data/lifecycle.json: the products Mamori recognises on devices, taken
from the endoflife.date snapshot in ../shared/data/eol (MIT licence; LICENSE-endoflife beside the output),
plus Mamori's own entries for products endoflife.date does not cover (marked unverified, with their
source). Run from the repository root: python3 tools/lifecycle-data.py [PATH-TO-endoflife-date.json]"""
import json, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/eol/endoflife-date.json"
PRODUCTS = [
    "windows", "windows-server", "office", "mssqlserver", "chrome", "firefox", "libreoffice",
    "oracle-jdk", "eclipse-temurin", "debian", "ubuntu", "rhel", "almalinux", "rocky-linux",
    "postgresql", "mysql", "mariadb", "nginx", "apache-http-server", "tomcat", "php", "python", "nodejs",
]
# Free community long-term support that a facility gets without a contract: its end is the end.
EXTENDED_IS_DEFAULT = {"debian"}

OWN = {
    "microsoft-edge": {
        "title": "Microsoft Edge",
        "source": "Microsoft Modern Lifecycle Policy（最新の安定版だけがサポート対象）, https://learn.microsoft.com/lifecycle/products/microsoft-edge（Mamori が公開ページから手入力、未確認）",
        "verified": False,
        "releases": [{"cycle": "stable", "eol": False}],
    },
    "adobe-acrobat-reader": {
        "title": "Adobe Acrobat Reader",
        "source": "Adobe Support Lifecycle Policy, https://helpx.adobe.com/support/programs/eol-matrix.html（Mamori が公開ページから手入力、未確認）",
        "verified": False,
        "releases": [
            {"cycle": "dc", "eol": False},
            {"cycle": "2020", "eol": "2025-06-30"},
            {"cycle": "2017", "eol": "2022-06-06"},
            {"cycle": "2015", "eol": "2020-04-07"},
            {"cycle": "xi", "eol": "2017-10-15"},
        ],
    },
}

def main():
    data = json.load(open(SRC, encoding="utf-8"))
    out = {
        "source": data["source"],
        "license": "endoflife.date: MIT (LICENSE-endoflife). Mamori's own entries: see each product's source.",
        "products": {},
    }
    for pid in PRODUCTS:
        p = data["products"][pid]
        rels = []
        for r in p["releases"]:
            rel = {"cycle": r["releaseCycle"], "eol": r.get("eol")}
            for k_src, k in (("releaseDate", "released"), ("eoes", "extended"), ("latest", "latest")):
                if r.get(k_src) not in (None, False):
                    rel[k] = r[k_src]
            rels.append(rel)
        out["products"][pid] = {
            "title": p["title"],
            "source": "endoflife.date",
            "verified": True,
            "extended_is_default": pid in EXTENDED_IS_DEFAULT,
            "releases": rels,
        }
    for pid, p in OWN.items():
        out["products"][pid] = {**p, "extended_is_default": False}
    with open("crates/mamori-lifecycle/data/lifecycle.json", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")

main()
