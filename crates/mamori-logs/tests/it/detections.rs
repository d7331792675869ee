//! Detections on the attack samples and on made events, with and without the staff ledger.

use mamori_logs::Options;
use mamori_logs::event::{Event, Kind, Origin, patient_key};

use crate::helpers::*;

#[test]
fn findings_on_the_attack_samples() {
    let Some(dir) = shared("evtx") else {
        println!("SKIP: ../shared/data/evtx is not here; findings not checked");
        return;
    };
    let one = |name: &str| {
        run(
            &[dir.join(name)],
            &Options::at(&mamori_core::Clock::system()),
        )
    };
    let smb = one("smb-password-guessing-security.evtx");
    let k = kinds(&smb);
    assert!(
        k.contains(&("failed_logon_burst", "Administrator".into(), String::new())),
        "{k:?}"
    );
    assert!(
        k.iter()
            .any(|(kind, _, src)| *kind == "failed_logon_burst_source" && src == "192.168.198.149")
    );
    let burst = smb
        .findings
        .iter()
        .find(|f| f.kind == "failed_logon_burst")
        .unwrap();
    assert_eq!(
        (
            burst.severity.as_str(),
            burst
                .items
                .iter()
                .map(|t| t.id())
                .collect::<Vec<_>>()
                .join(",")
        ),
        ("high", "access_log,password_length".to_string())
    );
    assert!(burst.message.contains("Administrator"));

    let spray = one("password-spray.evtx");
    let f = spray
        .findings
        .iter()
        .find(|f| f.kind == "password_spray")
        .expect("spray found");
    assert_eq!(f.source, "jwrig");
    assert!(f.message.contains("試されたアカウント"), "{}", f.message);
    assert!(kinds(&spray).iter().any(|(k, _, _)| *k == "log_cleared"));

    let new_user = one("new-user-security.evtx");
    let k = kinds(&new_user);
    assert!(
        k.contains(&(
            "account_created",
            "IEUser".into(),
            "WIN-QALA5Q3KJ43$".into()
        )),
        "{k:?}"
    );
    assert!(k.iter().any(|(kind, _, group)| *kind == "privileged_group_change" && group == "Administrators"));

    let rdp = one("T1563.002_RDP-Hijacking_Security.evtx");
    assert!(
        kinds(&rdp)
            .iter()
            .any(|(k, _, _)| *k == "service_installed")
    );
    assert!(kinds(&rdp).iter().any(|(k, _, _)| *k == "rdp_session"));
}

#[test]
fn detections_of_bursts_success_after_failures_root_and_ehr_habits() {
    let mut events: Vec<Event> = (0..6)
        .map(|i| ev(Kind::LogonFailure, "yamada", "10.0.0.9", i))
        .collect();
    events.push(ev(Kind::LogonSuccess, "yamada", "10.0.0.9", 7));
    let mut root = ev(Kind::LogonSuccess, "root", "203.0.113.5", 8);
    root.origin = Origin::AuthLog;
    events.push(root);
    // After hours (23:30 JST) and 120 patients in an hour.
    let night = |m: i64, p: usize| {
        let mut e = ev(
            Kind::EhrAccess {
                patient: patient_key(&format!("P{p}")),
                export: false,
            },
            "nurse1",
            "",
            m,
        );
        e.origin = Origin::Ehr;
        e
    };
    events.push(night(14 * 60 + 30, 0));
    for p in 0..120 {
        events.push(night(60 + p as i64 / 4, p));
    }
    let found = detect(&events, None);
    assert!(
        found.contains(&("success_after_failures".into(), "yamada".into())),
        "{found:?}"
    );
    assert!(found.contains(&("ssh_root_login".into(), "root".into())));
    assert!(found.contains(&("ehr_after_hours".into(), "nurse1".into())));
    assert!(found.contains(&("ehr_many_patients".into(), "nurse1".into())));
    assert!(
        !found.iter().any(|(k, _)| *k == "failed_logon_burst"),
        "6 failures are not a burst"
    );
}
