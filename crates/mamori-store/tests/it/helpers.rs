//! What the stories share: the fixed time, a new organisation, user and answer.

use chrono::{DateTime, Utc};
use mamori_core::Role;
use mamori_store::{NewOrg, NewUser, OrgKind};

pub(crate) fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

pub(crate) fn new_org(name: &str, vendor: bool) -> NewOrg {
    NewOrg {
        kind: OrgKind::Clinic,
        name: name.into(),
        security_officer: "山田 太郎".into(),
        has_vendor_contract: vendor,
    }
}

pub(crate) fn new_user(login: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("{login} さん"),
        password_hash: "$argon2id$dummy".into(),
        role: Role::Admin,
    }
}
