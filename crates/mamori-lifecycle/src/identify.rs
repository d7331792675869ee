//! Which products of the lifecycle data (and of the facility's entries) a device row names: its OS from
//! the OS and OSバージョン columns, its programs from the software column (「name version; …」), network
//! devices and appliances from メーカー and 機種.

use mamori_ledger::Row;

use crate::{FacilityEntry, data};

/// A product found on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// In Mamori's data: product id, release cycle, the installed version (for updates within the
    /// cycle; empty when unknown) and what was found, as shown.
    Known {
        product: &'static str,
        cycle: String,
        installed: String,
        what: String,
    },
    /// Matched a facility entry.
    Facility { entry: FacilityEntry, what: String },
}

fn has_cycle(product: &str, cycle: &str) -> bool {
    data()
        .products
        .get(product)
        .is_some_and(|p| p.releases.iter().any(|r| r.cycle == cycle))
}

fn known(product: &'static str, cycle: String, installed: &str, what: &str) -> Option<Found> {
    has_cycle(product, &cycle).then(|| Found::Known {
        product,
        cycle,
        installed: installed.to_string(),
        what: what.to_string(),
    })
}

/// The leading 「N」 or 「N.M」 of a version: the cycle of products whose cycles are that form.
fn cycle_of(product: &'static str, version: &str) -> Option<String> {
    let parts: Vec<&str> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    [2, 1]
        .into_iter()
        .filter(|n| parts.len() >= *n)
        .map(|n| parts[..n].join("."))
        .find(|c| has_cycle(product, c))
}

fn is_linux(os: &str) -> bool {
    let os = os.to_lowercase();
    [
        "linux", "debian", "ubuntu", "centos", "fedora", "suse", "red hat", "rhel", "alma", "rocky",
    ]
    .iter()
    .any(|w| os.contains(w))
}

/// Windows: the release cycle from the build (10.0.22631…) or the version (22H2), the edition from the
/// name (Enterprise/Education, LTSC, IoT).
fn windows(os: &str, version: &str) -> Option<Found> {
    let lower = os.to_lowercase();
    let what = format!("{os} {version}").trim().to_string();
    let build3: Option<String> = {
        let p: Vec<&str> = version.split('.').collect();
        (p.len() >= 3 && p[0] == "10").then(|| p[..3].join("."))
    };
    if lower.contains("server") {
        for (word, cycle) in [
            ("2025", "2025"),
            ("2022", "2022"),
            ("2019", "2019"),
            ("2016", "2016"),
            ("2012 r2", "2012-r2"),
            ("2012", "2012"),
            ("2008 r2", "2008-r2-sp1"),
            ("2008", "2008-sp2"),
            ("2003", "2003-sp2"),
        ] {
            if lower.contains(word) {
                return known("windows-server", cycle.into(), "", &what);
            }
        }
        let build3 = build3?;
        let p = data().products.get("windows-server")?;
        let r = p.releases.iter().find(|r| {
            r.latest.as_deref() == Some(build3.as_str())
                && !r.cycle.ends_with("sac")
                && !r.cycle.ends_with("-ac")
        })?;
        return known("windows-server", r.cycle.clone(), "", &what);
    }
    for (word, cycle) in [
        ("windows 8.1", "8.1"),
        ("windows 8", "8"),
        ("windows 7", "7-sp1"),
        ("vista", "6-sp2"),
        ("windows xp", "5-sp3"),
    ] {
        if lower.contains(word) {
            return known("windows", cycle.into(), "", &what);
        }
    }
    let family = if let Some(b) = &build3 {
        let n: u32 = b.rsplit('.').next()?.parse().ok()?;
        if n >= 22000 { "11" } else { "10" }
    } else if lower.contains("windows 11") {
        "11"
    } else if lower.contains("windows 10") {
        "10"
    } else {
        return None;
    };
    let edition = if lower.contains("iot") && (lower.contains("ltsc") || lower.contains("ltsb")) {
        "iot-lts"
    } else if lower.contains("ltsc") || lower.contains("ltsb") {
        "e-lts"
    } else if lower.contains("enterprise") || lower.contains("education") {
        "e"
    } else {
        "w"
    };
    let p = data().products.get("windows")?;
    let base: Vec<String> = match &build3 {
        Some(b) => p
            .releases
            .iter()
            .filter(|r| r.latest.as_deref() == Some(b.as_str()))
            .filter(|r| r.cycle.starts_with(&format!("{family}-")))
            .map(|r| {
                r.cycle
                    .trim_end_matches("-iot-lts")
                    .trim_end_matches("-e-lts")
                    .trim_end_matches("-iot")
                    .trim_end_matches("-e")
                    .trim_end_matches("-w")
                    .to_string()
            })
            .collect(),
        None => {
            let v = version.trim().to_lowercase();
            let v = if v.is_empty() {
                // 「Windows 10 22H2」 in the OS column.
                lower
                    .split_whitespace()
                    .find(|w| w.len() == 4 && (w.ends_with("h1") || w.ends_with("h2")))
                    .unwrap_or("")
                    .to_string()
            } else {
                v
            };
            if v.is_empty() {
                return None;
            }
            vec![format!("{family}-{v}")]
        }
    };
    for b in base {
        for cycle in [format!("{b}-{edition}"), b.clone()] {
            if has_cycle("windows", &cycle) {
                return known("windows", cycle, "", &what);
            }
        }
    }
    None
}

/// Linux releases: Debian, Ubuntu, RHEL and its rebuilds.
fn linux(os: &str, version: &str) -> Option<Found> {
    let lower = os.to_lowercase();
    let what = format!("{os} {version}").trim().to_string();
    let product: &'static str = if lower.contains("debian") {
        "debian"
    } else if lower.contains("ubuntu") {
        "ubuntu"
    } else if lower.contains("red hat") || lower.contains("rhel") {
        "rhel"
    } else if lower.contains("alma") {
        "almalinux"
    } else if lower.contains("rocky") {
        "rocky-linux"
    } else {
        return None;
    };
    // The point release: the OSバージョン (12.8, 9.4) or, for Ubuntu, the name (「Ubuntu 22.04.3 LTS」).
    let from_name = os
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'));
    let installed = if product == "ubuntu" {
        from_name.unwrap_or(version)
    } else if version.is_empty() {
        from_name.unwrap_or("")
    } else {
        version
    };
    let num = if installed.is_empty() {
        os.split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or("")
    } else {
        installed
    };
    let cycle = if product == "ubuntu" {
        num.split('.').take(2).collect::<Vec<_>>().join(".")
    } else {
        num.split('.').next().unwrap_or("").to_string()
    };
    let installed = if installed.contains('.') {
        installed
    } else {
        ""
    };
    known(product, cycle, installed, &what)
}

/// A program of the software column.
fn program(name: &str, version: &str) -> Option<Found> {
    let lower = name.to_lowercase();
    let what = format!("{name} {version}").trim().to_string();
    if (lower.starts_with("microsoft office")
        || lower.contains("office professional")
        || lower.contains("office standard")
        || lower.contains("office home"))
        && !lower.contains("update")
    {
        for year in ["2024", "2021", "2019", "2016", "2013", "2010", "2007"] {
            if lower.contains(year) {
                let ltsc = format!("{year}-ltsc");
                let cycle = if lower.contains("ltsc") && has_cycle("office", &ltsc) {
                    ltsc
                } else {
                    year.to_string()
                };
                return known("office", cycle, "", &what);
            }
        }
        return None;
    }
    if lower.starts_with("microsoft edge") {
        return known("microsoft-edge", "stable".into(), "", &what);
    }
    if lower == "google chrome" || lower == "chromium" {
        return known("chrome", cycle_of("chrome", version)?, "", &what);
    }
    if lower.starts_with("mozilla firefox") || lower == "firefox" || lower == "firefox-esr" {
        let cycle = cycle_of("firefox", version.split('.').next()?)?;
        return known("firefox", cycle, version, &what);
    }
    if lower.starts_with("libreoffice") {
        return known(
            "libreoffice",
            cycle_of("libreoffice", version)?,
            version,
            &what,
        );
    }
    if lower.contains("acrobat") {
        let v: Vec<&str> = version.split('.').collect();
        let classic = v.get(2).is_some_and(|p| p.starts_with('3'));
        let cycle = if lower.contains("xi") || v.first() == Some(&"11") {
            "xi"
        } else if lower.contains("2020") || (classic && v.first() == Some(&"20")) {
            "2020"
        } else if lower.contains("2017") || (classic && v.first() == Some(&"17")) {
            "2017"
        } else if lower.contains("2015") || (classic && v.first() == Some(&"15")) {
            "2015"
        } else if lower.contains("dc") || !version.is_empty() {
            "dc"
        } else {
            return None;
        };
        return known("adobe-acrobat-reader", cycle.into(), "", &what);
    }
    // Java 8 Update 381 / Java(TM) SE Development Kit 17.0.9 / Java SE Runtime Environment 11
    if lower.starts_with("java") {
        let rest = lower
            .trim_start_matches("java(tm)")
            .trim_start_matches("java")
            .replace("se development kit", "")
            .replace("se runtime environment", "");
        let major = rest
            .split_whitespace()
            .next()?
            .split('.')
            .next()?
            .to_string();
        return known("oracle-jdk", major, "", &what);
    }
    if lower.starts_with("eclipse temurin") {
        let cycle = cycle_of("eclipse-temurin", version.split('.').next()?)?;
        return known("eclipse-temurin", cycle, "", &what);
    }
    if let Some(rest) = lower.strip_prefix("microsoft sql server ") {
        let mut words = rest.split_whitespace();
        let year = words.next()?;
        let rest: Vec<&str> = words.collect();
        // The server itself, not its tools (Management Studio, Native Client, Setup …).
        if !rest
            .iter()
            .all(|w| ["r2", "(64-bit)", "(32-bit)"].contains(w))
        {
            return None;
        }
        let major = match (year, rest.first() == Some(&"r2")) {
            ("2008", true) => "10.50",
            ("2008", false) => "10.0",
            ("2012", _) => "11.0",
            ("2014", _) => "12.0",
            ("2016", _) => "13.0",
            ("2017", _) => "14.0",
            ("2019", _) => "15.0",
            ("2022", _) => "16.0",
            ("2025", _) => "17.0",
            _ => return None,
        };
        // The service pack is not in the name: the latest one's end (「最新の SP の場合」).
        let p = data().products.get("mssqlserver")?;
        let best = p
            .releases
            .iter()
            .filter(|r| r.cycle == major || r.cycle.starts_with(&format!("{major}-sp")))
            .filter(|r| !r.cycle.ends_with("-acp"))
            .max_by_key(|r| r.eol.as_str().unwrap_or("").to_string())?;
        return known(
            "mssqlserver",
            best.cycle.clone(),
            "",
            &format!("{what}（最新の SP の場合）"),
        );
    }
    for (prefix, product) in [
        ("postgresql", "postgresql"),
        ("mysql server", "mysql"),
        ("mariadb", "mariadb"),
        ("python", "python"),
        ("node.js", "nodejs"),
        ("nginx", "nginx"),
        ("apache http server", "apache-http-server"),
        ("php", "php"),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            // The version, or the number in the name (「PostgreSQL 15 」「MySQL Server 8.0」).
            let named = rest.split_whitespace().next().unwrap_or("");
            let v = if version.is_empty() { named } else { version };
            let cycle = cycle_of(product, v).or_else(|| cycle_of(product, named))?;
            return known(product, cycle, v, &what);
        }
    }
    None
}

fn matches_entry(entry: &FacilityEntry, text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains(&entry.product.to_lowercase())
        && (entry.version.is_empty() || t.contains(&entry.version.to_lowercase()))
}

/// The products a device row names. A facility entry that matches a program, the OS or the maker and
/// model takes the place of Mamori's data for it.
pub fn identify(row: &Row, facility: &[FacilityEntry]) -> Vec<Found> {
    let get = |k: &str| row.get(k).map(|s| s.trim()).unwrap_or("");
    let (os, version) = (get("os"), get("os_version"));
    let mut out = Vec::new();
    let facility_match = |text: &str| facility.iter().find(|e| matches_entry(e, text));
    let os_text = format!("{os} {version}").trim().to_string();
    if !os.is_empty() {
        if let Some(e) = facility_match(&os_text) {
            out.push(Found::Facility {
                entry: e.clone(),
                what: os_text.clone(),
            });
        } else if let Some(f) = if is_linux(os) {
            linux(os, version)
        } else {
            windows(os, version)
        } {
            out.push(f);
        }
    }
    let hardware = format!("{} {}", get("maker"), get("model"))
        .trim()
        .to_string();
    if !hardware.is_empty()
        && let Some(e) = facility_match(&hardware)
    {
        out.push(Found::Facility {
            entry: e.clone(),
            what: hardware,
        });
    }
    let linux_os = is_linux(os);
    for item in get("software").split("; ").filter(|s| !s.trim().is_empty()) {
        if let Some(e) = facility_match(item) {
            out.push(Found::Facility {
                entry: e.clone(),
                what: item.trim().to_string(),
            });
            continue;
        }
        // Linux packages come with the release's own support: only the release is judged.
        if linux_os {
            continue;
        }
        let (name, version) = match item.trim().rsplit_once(' ') {
            Some((n, v)) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => (n, v),
            _ => (item.trim(), ""),
        };
        if let Some(f) = program(name, version) {
            out.push(f);
        }
    }
    out
}
