//! The JSON document of the inventory's PowerShell script, and what Mamori reads from it: users and
//! administrators, updates, Defender, adapters, listening ports.

use crate::{Account, Defender, Interface, Listener};
use serde::Deserialize;

/// What the PowerShell script prints (one JSON object). Every part is optional: a part that failed is
/// null or missing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PsReport {
    pub users: OneOrMany<PsUser>,
    pub admins: OneOrMany<PsMember>,
    pub running: OneOrMany<String>,
    pub hotfixes: OneOrMany<PsHotfix>,
    pub defender: Option<PsDefender>,
    pub antivirus: OneOrMany<String>,
    pub adapters: OneOrMany<PsAdapter>,
    pub listeners: OneOrMany<PsListener>,
    pub serial: Option<String>,
}

/// ConvertTo-Json writes one element as an object and several as an array.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<T> {
            Many(Vec<T>),
            One(T),
            None(()),
        }
        Ok(OneOrMany(match Either::deserialize(d)? {
            Either::Many(v) => v,
            Either::One(t) => vec![t],
            Either::None(()) => Vec::new(),
        }))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsUser {
    pub name: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub last_logon: Option<serde_json::Value>,
    #[serde(default, rename = "SID")]
    pub sid: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsMember {
    pub name: String,
    #[serde(default)]
    pub object_class: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PsHotfix {
    #[serde(rename = "HotFixID")]
    pub id: String,
    #[serde(default, rename = "InstalledOn")]
    pub installed_on: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsDefender {
    #[serde(default)]
    pub antivirus_enabled: Option<bool>,
    #[serde(default)]
    pub real_time_protection_enabled: Option<bool>,
    #[serde(default)]
    pub antivirus_signature_last_updated: Option<serde_json::Value>,
    #[serde(default)]
    pub antivirus_signature_version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsAdapter {
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "MACAddress")]
    pub mac: Option<String>,
    #[serde(default, rename = "IPAddress")]
    pub ips: OneOrMany<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsListener {
    pub protocol: String,
    pub local_address: String,
    pub local_port: u16,
}

/// A PowerShell date: ISO 8601 text (as the script writes it) or Windows PowerShell 5.1's
/// 「/Date(ms)/」, or an object with that in 「value」 (Get-HotFix's InstalledOn). As RFC 3339 (UTC).
pub fn ps_date(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => {
            if let Some(ms) = s
                .strip_prefix("/Date(")
                .and_then(|r| r.split([')', '+', '-']).next())
            {
                let ms: i64 = ms.parse().ok()?;
                return Some(crate::linux::rfc3339(ms.div_euclid(1000)));
            }
            // 2024-01-10T00:00:00.0000000Z → 2024-01-10T00:00:00Z
            let (date, time) = s.split_once('T').unwrap_or((s.as_str(), "00:00:00"));
            if date.len() != 10 || !date.as_bytes()[4].eq(&b'-') {
                return None;
            }
            Some(format!("{date}T{}Z", time.get(..8).unwrap_or("00:00:00")))
        }
        serde_json::Value::Object(o) => o.get("value").and_then(ps_date),
        _ => None,
    }
}

/// The local accounts, with their enabled state and last logon, from the script's report.
pub fn accounts_from_ps(report: &PsReport) -> Vec<Account> {
    report
        .users
        .0
        .iter()
        .map(|u| Account {
            name: u.name.clone(),
            // The relative ID of the account's SID (500 = the built-in Administrator).
            uid: u
                .sid
                .as_ref()
                .and_then(|s| match s {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => {
                        o.get("Value").and_then(|v| v.as_str()).map(String::from)
                    }
                    _ => None,
                })
                .and_then(|s| s.rsplit('-').next().and_then(|r| r.parse().ok()))
                .unwrap_or(0),
            home: String::new(),
            shell: String::new(),
            can_log_in: u.enabled.unwrap_or(true),
            locked: None,
            enabled: u.enabled,
            last_login: u.last_logon.as_ref().and_then(ps_date),
        })
        .collect()
}

/// Installed updates, newest first: 「KB5034441 2024-01-10」.
pub fn hotfixes_from_ps(report: &PsReport) -> Vec<String> {
    let mut out: Vec<(String, String)> = report
        .hotfixes
        .0
        .iter()
        .map(|h| {
            let date = h
                .installed_on
                .as_ref()
                .and_then(ps_date)
                .map(|d| d[..10].to_string())
                .unwrap_or_default();
            (date, h.id.clone())
        })
        .collect();
    out.sort_by(|a, b| b.cmp(a));
    out.into_iter()
        .map(|(d, id)| {
            if d.is_empty() {
                id
            } else {
                format!("{id} {d}")
            }
        })
        .collect()
}

pub fn defender_from_ps(report: &PsReport) -> Option<Defender> {
    let d = report.defender.as_ref()?;
    Some(Defender {
        antivirus_enabled: d.antivirus_enabled,
        realtime_enabled: d.real_time_protection_enabled,
        signature_updated: d
            .antivirus_signature_last_updated
            .as_ref()
            .and_then(ps_date),
        signature_version: d.antivirus_signature_version.clone().unwrap_or_default(),
    })
}

pub fn interfaces_from_ps(report: &PsReport) -> Vec<Interface> {
    report
        .adapters
        .0
        .iter()
        .filter_map(|a| {
            let mac = a.mac.as_ref()?.replace('-', ":").to_lowercase();
            Some(Interface {
                name: a.description.clone(),
                mac,
                ips: a
                    .ips
                    .0
                    .iter()
                    .filter(|ip| !ip.starts_with("fe80"))
                    .cloned()
                    .collect(),
            })
        })
        .collect()
}

pub fn listeners_from_ps(report: &PsReport) -> Vec<Listener> {
    let mut out: Vec<Listener> = report
        .listeners
        .0
        .iter()
        .map(|l| Listener {
            protocol: l.protocol.to_lowercase(),
            address: l.local_address.clone(),
            port: l.local_port,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
