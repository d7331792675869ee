//! The facility's baseline of services and software (checklist 2(9)): what is allowed, what must not run
//! and what needs a look. Mamori brings defaults (P2P file sharing, games, telnet and FTP servers, remote
//! registry; file sharing to be confirmed); the facility's own entries (サービス・ソフトの基準 ledger) come
//! first. Remote-access tools found on a device but not recorded as its remote maintenance are flagged too
//! (2(2)).

use mamori_ledger::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Forbidden,
    Review,
}

impl Decision {
    pub fn label(self) -> &'static str {
        match self {
            Decision::Allowed => "許可",
            Decision::Forbidden => "禁止",
            Decision::Review => "要確認",
        }
    }
    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Allowed, Decision::Forbidden, Decision::Review]
            .into_iter()
            .find(|d| d.label() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Software,
    Service,
    Both,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::Software => "ソフトウェア",
            Target::Service => "サービス",
            Target::Both => "どちらも",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// A word of the software's or service's name (case is ignored).
    pub name: String,
    pub target: Target,
    pub decision: Decision,
    pub reason: String,
    /// Mamori's default rather than the facility's entry.
    pub builtin: bool,
}

const DEFAULTS: &[(&str, Target, Decision, &str)] = &[
    (
        "bittorrent",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "qbittorrent",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "utorrent",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "transmission",
        Target::Both,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "deluge",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "emule",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "vuze",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "winny",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    (
        "perfect dark",
        Target::Software,
        Decision::Forbidden,
        "P2P ファイル共有",
    ),
    ("steam", Target::Software, Decision::Forbidden, "ゲーム"),
    (
        "epic games",
        Target::Software,
        Decision::Forbidden,
        "ゲーム",
    ),
    ("minecraft", Target::Software, Decision::Forbidden, "ゲーム"),
    (
        "battle.net",
        Target::Software,
        Decision::Forbidden,
        "ゲーム",
    ),
    (
        "riot client",
        Target::Software,
        Decision::Forbidden,
        "ゲーム",
    ),
    (
        "telnetd",
        Target::Both,
        Decision::Forbidden,
        "暗号化されない遠隔ログイン（telnet）",
    ),
    (
        "telnet-server",
        Target::Both,
        Decision::Forbidden,
        "暗号化されない遠隔ログイン（telnet）",
    ),
    (
        "tlntsvr",
        Target::Service,
        Decision::Forbidden,
        "暗号化されない遠隔ログイン（telnet）",
    ),
    (
        "rsh-server",
        Target::Both,
        Decision::Forbidden,
        "暗号化されない遠隔ログイン（rsh）",
    ),
    (
        "vsftpd",
        Target::Both,
        Decision::Forbidden,
        "暗号化されないファイル転送（FTP サーバ）",
    ),
    (
        "proftpd",
        Target::Both,
        Decision::Forbidden,
        "暗号化されないファイル転送（FTP サーバ）",
    ),
    (
        "pure-ftpd",
        Target::Both,
        Decision::Forbidden,
        "暗号化されないファイル転送（FTP サーバ）",
    ),
    (
        "filezilla server",
        Target::Software,
        Decision::Forbidden,
        "暗号化されないファイル転送（FTP サーバ）",
    ),
    (
        "ftpsvc",
        Target::Service,
        Decision::Forbidden,
        "暗号化されないファイル転送（FTP サーバ）",
    ),
    (
        "tftpd",
        Target::Both,
        Decision::Forbidden,
        "認証のないファイル転送（TFTP）",
    ),
    (
        "remoteregistry",
        Target::Service,
        Decision::Forbidden,
        "レジストリの遠隔操作",
    ),
    (
        "smbd",
        Target::Service,
        Decision::Review,
        "ファイル共有（使っていなければ停止）",
    ),
    (
        "nfs-server",
        Target::Service,
        Decision::Review,
        "ファイル共有（使っていなければ停止）",
    ),
    (
        "lanmanserver",
        Target::Service,
        Decision::Review,
        "Windows のファイル共有（使っていなければ停止）",
    ),
    (
        "snmpd",
        Target::Service,
        Decision::Review,
        "SNMP（使っていなければ停止）",
    ),
];

/// Mamori's defaults.
pub fn defaults() -> Vec<Rule> {
    DEFAULTS
        .iter()
        .map(|(name, target, decision, reason)| Rule {
            name: name.to_string(),
            target: *target,
            decision: *decision,
            reason: reason.to_string(),
            builtin: true,
        })
        .collect()
}

/// A rule from a row of the サービス・ソフトの基準 ledger (name, target, decision, reason).
pub fn rule_from_row(row: &Row) -> Option<Rule> {
    let name = row.get("name")?.trim().to_lowercase();
    if name.is_empty() {
        return None;
    }
    Some(Rule {
        name,
        target: match row.get("target").map(String::as_str) {
            Some("ソフトウェア") => Target::Software,
            Some("サービス") => Target::Service,
            _ => Target::Both,
        },
        decision: Decision::parse(row.get("decision")?)?,
        reason: row.get("reason").cloned().unwrap_or_default(),
        builtin: false,
    })
}

/// The facility's rules, then the defaults it did not restate (its entry for a name replaces Mamori's).
pub fn rules(facility: &[Rule]) -> Vec<Rule> {
    let mut out = facility.to_vec();
    out.extend(
        defaults()
            .into_iter()
            .filter(|d| !facility.iter().any(|f| f.name == d.name)),
    );
    out
}

fn decide<'a>(rules: &'a [Rule], name: &str, service: bool) -> Option<&'a Rule> {
    let lower = name.to_lowercase();
    rules.iter().find(|r| {
        let applies = match r.target {
            Target::Both => true,
            Target::Service => service,
            Target::Software => !service,
        };
        applies && lower.contains(&r.name)
    })
}

/// The flags of a device row: 「禁止: …」 and 「要確認: …」 for software (ソフトウェア column) and running
/// services (動作中のサービス column) the rules name, and 「未登録のリモート接続: …」 for remote-access tools
/// the agent found while the device's リモートメンテナンス is not 「有」.
pub fn check(row: &Row, rules: &[Rule]) -> Vec<String> {
    let mut out = Vec::new();
    let list = |k: &str| -> Vec<String> {
        row.get(k)
            .map(|s| {
                s.split("; ")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (items, service) in [(list("software"), false), (list("services"), true)] {
        for item in items {
            // The software column holds 「name version」: judge the name.
            let name = if service {
                item.as_str()
            } else {
                item.rsplit_once(' ')
                    .filter(|(_, v)| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .map_or(item.as_str(), |(n, _)| n)
            };
            if let Some(r) = decide(rules, name, service)
                && r.decision != Decision::Allowed
            {
                let kind = if service {
                    "サービス"
                } else {
                    "ソフトウェア"
                };
                let whose = if r.builtin {
                    "Mamori の既定"
                } else {
                    "施設の基準"
                };
                out.push(format!(
                    "{}: {kind} {item}（{}、{whose}）",
                    r.decision.label(),
                    r.reason
                ));
            }
        }
    }
    if let Some(found) = row.get("remote_detected").filter(|s| !s.is_empty())
        && row.get("remote_maintenance").map(String::as_str) != Some("有")
    {
        out.push(format!(
            "未登録のリモート接続: {found}（リモートメンテナンスとして台帳に記録されていません）"
        ));
    }
    // 禁止 first, then remote tools, then 要確認.
    let rank = |f: &String| match f.split(':').next() {
        Some("禁止") => 0,
        Some("未登録のリモート接続") => 1,
        _ => 2,
    };
    out.sort_by(|a, b| (rank(a), a).cmp(&(rank(b), b)));
    out.dedup();
    out
}
