//! Backups: restore gives back every table as it was; a damaged file is refused and leaves nothing behind.

use crate::helpers::PgDb;
use chrono::{DateTime, Duration, Utc};
use mamori_core::Role;
use mamori_store::backup::{list_generations, restore};
use mamori_store::{NewOrg, NewToken, NewUser, OrgKind, Store};
use sqlx::Row;

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

/// Every row of every table, as text.
async fn dump(path: &std::path::Path) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let cols: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{t}')"
        )))
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
        let expr = cols
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {expr} FROM \"{t}\" ORDER BY 1"
        )))
        .fetch_all(&pool)
        .await
        .unwrap()
        {
            out.push(format!("{t}: {}", r.try_get::<String, _>(0).unwrap()));
        }
    }
    pool.close().await;
    out
}

#[tokio::test]
async fn backup_generations_restore_and_refuse_damage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let (_, admin) = store
        .set_up(
            &NewOrg {
                kind: OrgKind::Hospital,
                name: "中央病院".into(),
                security_officer: "院長".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "admin".into(),
                display_name: "管理者".into(),
                password_hash: "h".into(),
                role: Role::Admin,
            },
            at(),
        )
        .await
        .unwrap();
    let backups = dir.path().join("backups");
    for i in 0..3 {
        let token = NewToken {
            hash: format!("t{i}"),
            label: "x".into(),
            role: Role::Viewer,
            expires_at: at() + Duration::days(1),
        };
        store.create_api_token(&admin, &token, at()).await.unwrap();
        let m = store
            .backup(&backups, 2, at() + Duration::hours(i))
            .await
            .unwrap();
        assert_eq!(m.audit_records, 3 + i);
        assert_eq!(
            m.size,
            std::fs::metadata(backups.join(&m.file)).unwrap().len()
        );
    }
    let gens = list_generations(&backups).unwrap();
    assert_eq!(
        gens.iter()
            .map(|g| g.generation.as_str())
            .collect::<Vec<_>>(),
        ["20250601T020000Z", "20250601T030000Z"],
        "keeps 2 generations"
    );
    store.close().await;

    let restored = dir.path().join("restored.db");
    let m = restore(&backups, "20250601T030000Z", restored.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(m.audit_records, 5);
    assert_eq!(
        dump(&restored).await,
        dump(&db).await,
        "every table identical"
    );
    assert!(!dump(&db).await.is_empty());

    // A restore never overwrites.
    let again = restore(&backups, "20250601T030000Z", restored.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(again.to_string().contains("上書きはしません"), "{again}");

    // One flipped byte: refused, and no file is left at the target.
    let file = backups.join(&gens[0].file);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xFF;
    std::fs::write(&file, bytes).unwrap();
    let target = dir.path().join("from-damaged.db");
    let err = restore(&backups, &gens[0].generation, target.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("壊れています"), "{err}");
    assert!(!target.exists());
    let missing = restore(&backups, "19990101T000000Z", target.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("マニフェストがありません"),
        "{missing}"
    );
}

async fn set_up_hospital(store: &Store) -> mamori_store::User {
    store
        .set_up(
            &NewOrg {
                kind: OrgKind::Hospital,
                name: "中央病院".into(),
                security_officer: "院長".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "admin".into(),
                display_name: "管理者".into(),
                password_hash: "h".into(),
                role: Role::Admin,
            },
            at(),
        )
        .await
        .unwrap()
        .1
}

/// Every row of every table of a PostgreSQL database, as text.
async fn dump_pg(url: &str) -> Vec<String> {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get(0).unwrap())
    .collect();
    let mut out = Vec::new();
    for t in tables {
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t::text FROM \"{t}\" t ORDER BY 1"
        )))
        .fetch_all(&pool)
        .await
        .unwrap()
        {
            out.push(format!("{t}: {}", r.try_get::<String, _>(0).unwrap()));
        }
    }
    pool.close().await;
    out
}

/// PostgreSQL: pg_dump of one snapshot, restore into an empty database only, every table identical, the
/// kinds of backup not mixed up. Runs when `MAMORI_TEST_PG_URL` is set (CI sets it).
#[tokio::test]
async fn postgres_backup_and_restore() {
    let Some(live) = PgDb::create("the backup test", "mamori_bk").await else {
        return;
    };
    let copy = PgDb::create("the backup test", "mamori_rs").await.unwrap();
    let store = Store::open(&live.url).await.unwrap();
    let user = set_up_hospital(&store).await;
    let token = NewToken {
        hash: "t".into(),
        label: "x".into(),
        role: Role::Viewer,
        expires_at: at() + Duration::days(1),
    };
    store.create_api_token(&user, &token, at()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = store.backup_and_record(dir.path(), 3, at()).await.unwrap();
    assert_eq!(m.backend, "postgres");
    assert!(m.file.ends_with(".dump"));
    assert_eq!(m.audit_records, 3);
    let (_, last_ok) = store.last_backup_runs().await.unwrap();
    assert_eq!(last_ok.unwrap().generation, m.generation);

    // Into a SQLite file: refused, it is a PostgreSQL backup.
    let wrong = dir.path().join("x.db");
    let err = restore(dir.path(), &m.generation, wrong.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("PostgreSQL のバックアップです"),
        "{err}"
    );
    // Into a database in use: refused.
    let err = restore(dir.path(), &m.generation, &live.url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("空ではありません"), "{err}");

    // The backup_runs row written after the snapshot is not in it; everything else is identical.
    restore(dir.path(), &m.generation, &copy.url).await.unwrap();
    let without_runs = |v: Vec<String>| {
        v.into_iter()
            .filter(|l| !l.starts_with("backup_runs:"))
            .collect::<Vec<_>>()
    };
    let restored = without_runs(dump_pg(&copy.url).await);
    assert_eq!(restored, without_runs(dump_pg(&live.url).await));
    assert!(restored.iter().any(|l| l.starts_with("audit_log:")));
    let restored_store = Store::open(&copy.url).await.unwrap();
    assert_eq!(restored_store.verify_audit_chain().await.unwrap(), Ok(3));
    restored_store.close().await;
    store.close().await;
    live.drop_db().await;
    copy.drop_db().await;
}

/// `serve`'s scheduled backups: a first generation at once when there is none, recorded for the dashboard.
#[tokio::test]
async fn scheduled_backups_run_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("live.db").to_str().unwrap())
        .await
        .unwrap();
    set_up_hospital(&store).await;
    let backups = dir.path().join("backups");
    let task = tokio::spawn(store.clone().backup_loop(
        backups.clone(),
        std::time::Duration::from_secs(3600),
        3,
        mamori_core::Clock::system(),
    ));
    let mut found = Vec::new();
    for _ in 0..200 {
        found = list_generations(&backups).unwrap_or_default();
        // The run is recorded once the new generation has been checked to restore.
        if !found.is_empty() && store.last_backup_runs().await.unwrap().0.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found.len(), 1, "one generation at start");
    let (last, last_ok) = store.last_backup_runs().await.unwrap();
    assert_eq!(last, last_ok);
    assert_eq!(last_ok.unwrap().generation, found[0].generation);
    task.abort();
}

/// A file path with what Windows and Japanese offices put in names: a space, kanji, `#`, `?` (not on
/// Windows) and a percent sign. (Under Wine the CI smoke test opens `C:\\ProgramData\\Mamori\\mamori.db`.)
#[tokio::test]
async fn a_database_file_whose_path_needs_escaping() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("事務 長 #1 100%");
    std::fs::create_dir_all(&sub).unwrap();
    let path = sub.join("まもり?.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(!store.is_set_up().await.unwrap());
    drop(store);
    assert!(path.exists(), "the file is where the path says");
    // Opened again, the same file.
    let again = Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(!again.is_set_up().await.unwrap());
}

/// Issue 35 (1): a facility that once imported a large ledger (the staged path's block record) is moved
/// with `org export` / `org import`; the destination's chain stays whole, every later backup is checked
/// to restore, and it does restore.
async fn moved_facility_story(target: &Store, restore_to: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = Store::open(dir.path().join("source.db").to_str().unwrap())
        .await
        .unwrap();
    let (org, _) = source
        .set_up(
            &crate::helpers::new_org("移る医院", false),
            &crate::helpers::new_user("mover"),
            at(),
        )
        .await
        .unwrap();
    let rows: Vec<mamori_store::Fields> = (0..2_500)
        .map(|i| {
            crate::ledger::fields(&[
                ("system", "電子カルテ"),
                ("user_id", &format!("u{i:05}")),
                ("status", "使用可"),
            ])
        })
        .collect();
    source
        .import_ledger(
            org.id,
            mamori_ledger::Kind::Accounts,
            &["system", "user_id"],
            &rows,
            "mover",
            at(),
        )
        .await
        .unwrap();
    assert!(source.verify_audit_chain().await.unwrap().is_ok());
    let doc = source.export_org(org.id, at()).await.unwrap();
    source.close().await;

    target
        .set_up(
            &crate::helpers::new_org("先にいる医院", false),
            &crate::helpers::new_user("here"),
            at(),
        )
        .await
        .unwrap();
    // Twice moved: the carried trail holds the first move's own block record.
    let imported = target.import_org(&doc, "ops", at()).await.unwrap();
    assert_eq!(
        target.verify_audit_chain().await.unwrap().map(|_| ()),
        Ok(())
    );
    let again = target.export_org(imported.org.id, at()).await.unwrap();
    let third = Store::open(dir.path().join("third.db").to_str().unwrap())
        .await
        .unwrap();
    third.import_org(&again, "ops", at()).await.unwrap();
    assert_eq!(
        third.verify_audit_chain().await.unwrap().map(|_| ()),
        Ok(())
    );
    third.close().await;
    // Work after the move goes on chaining.
    target
        .record_event(imported.org.id, "mover", at(), "session", "mover", "login")
        .await
        .unwrap();
    assert_eq!(
        target.verify_audit_chain().await.unwrap().map(|_| ()),
        Ok(())
    );

    let backups = dir.path().join("backups");
    let m = target.backup_and_record(&backups, 3, at()).await.unwrap();
    let (_, last_ok) = target.last_backup_runs().await.unwrap();
    assert_eq!(last_ok.unwrap().generation, m.generation);
    restore(&backups, &m.generation, restore_to).await.unwrap();
    let restored = Store::open(restore_to).await.unwrap();
    assert!(restored.verify_audit_chain().await.unwrap().is_ok());
    assert_eq!(
        restored
            .ledger_all(imported.org.id, mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .len(),
        2_500
    );
    restored.close().await;
}

#[tokio::test]
async fn a_moved_facility_backs_up_and_restores_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let target = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let to = dir.path().join("restored.db");
    moved_facility_story(&target, to.to_str().unwrap()).await;
    target.close().await;
}

#[tokio::test]
async fn a_moved_facility_backs_up_and_restores_on_postgres() {
    let Some(live) = PgDb::create("the moved facility's backup", "mamori_mv").await else {
        return;
    };
    let copy = PgDb::create("the moved facility's backup", "mamori_mvr")
        .await
        .unwrap();
    let target = Store::open(&live.url).await.unwrap();
    moved_facility_story(&target, &copy.url).await;
    target.close().await;
    live.drop_db().await;
    copy.drop_db().await;
}

/// A backup whose chain does not verify is written (its data is kept) but not counted as a backup: the
/// run is recorded as failed with the reason, and older generations stay.
#[tokio::test]
async fn a_backup_that_does_not_restore_is_reported_and_keeps_the_older_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    store
        .set_up(
            &crate::helpers::new_org("医院", false),
            &crate::helpers::new_user("a"),
            at(),
        )
        .await
        .unwrap();
    let backups = dir.path().join("backups");
    // A half-written file of a killed backup, two days old: removed by the next good backup.
    std::fs::create_dir_all(&backups).unwrap();
    let stale = backups.join(".mamori-20200101T000000Z.db.partial");
    std::fs::write(&stale, b"half").unwrap();
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    let first = store.backup_and_record(&backups, 1, at()).await.unwrap();
    assert!(!stale.exists());
    // Behind Mamori's back: a record rewritten.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone' WHERE id = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let later = at() + Duration::hours(1);
    let err = store
        .backup_and_record(&backups, 1, later)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("復元できることを確認できませんでした"),
        "{err}"
    );
    assert!(err.to_string().contains("監査記録"), "{err}");
    let (last, last_ok) = store.last_backup_runs().await.unwrap();
    assert!(!last.unwrap().ok);
    assert_eq!(last_ok.unwrap().generation, first.generation);
    let gens: Vec<String> = list_generations(&backups)
        .unwrap()
        .into_iter()
        .map(|g| g.generation)
        .collect();
    assert!(
        gens.contains(&first.generation),
        "the older generation stays: {gens:?}"
    );
    assert!(
        !std::fs::read_dir(&backups)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".verify.db"))
    );
    store.close().await;
}

/// Issue 35 (10): what `audit verify` detects. The chain alone catches a record edited or removed; the
/// answers are checked against their audit records (a direct edit, insert or delete of `answers` is
/// caught though the chain is whole); a chain recomputed from some record on is caught by the heads the
/// backups wrote down outside the database.
#[tokio::test]
async fn tampering_with_answers_or_recomputing_the_chain_is_detected() {
    use mamori_core::{Answer, Choice, Target, Variant};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let (org, user) = store
        .set_up(
            &crate::helpers::new_org("医院", false),
            &crate::helpers::new_user("a"),
            at(),
        )
        .await
        .unwrap();
    let actor = mamori_store::Actor {
        user_id: user.id,
        name: "a".into(),
    };
    let answer = |item: &str, choice: Choice| Answer {
        item: item.into(),
        target: Target::General,
        round: 1,
        answer: choice,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    };
    store
        .save_answers(org.id, "r7", Variant::Facility, &actor, at(), |_| {
            Ok::<_, ()>(vec![
                answer("r7.facility.1.1", Choice::Yes),
                answer("r7.facility.1.2", Choice::Yes),
            ])
        })
        .await
        .unwrap()
        .unwrap();
    // Changed again through Mamori: the newest record is what counts.
    store
        .save_answers(org.id, "r7", Variant::Facility, &actor, at(), |_| {
            Ok::<_, ()>(vec![
                answer("r7.facility.1.2", Choice::Yes),
                answer("r7.facility.1.1", Choice::Yes),
            ])
        })
        .await
        .unwrap()
        .unwrap();
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    let backups = dir.path().join("backups");
    let m = store.backup_and_record(&backups, 5, at()).await.unwrap();

    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let exec = |sql: &'static str| {
        let raw = raw.clone();
        async move { sqlx::query(sql).execute(&raw).await.unwrap() }
    };
    let broken = |r: Result<usize, mamori_store::AuditBreak>| r.unwrap_err().to_string();
    // An answer edited behind Mamori's back.
    exec("UPDATE answers SET answer = 'no', target_date = '2026-03-31' WHERE item = 'r7.facility.1.2'").await;
    let e = broken(store.verify_audit_chain().await.unwrap());
    assert!(
        e.contains("r7.facility.1.2") && e.contains("一致しません"),
        "{e}"
    );
    exec("UPDATE answers SET answer = 'yes', target_date = NULL WHERE item = 'r7.facility.1.2'")
        .await;
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    // Added, and removed.
    exec("INSERT INTO answers (org_id, edition, variant, item, target, round, answer, checked_on, target_date, note, updated_by, updated_at) \
          SELECT org_id, edition, variant, 'r7.facility.1.3', target, round, answer, checked_on, target_date, note, updated_by, updated_at FROM answers WHERE item = 'r7.facility.1.1'").await;
    let e = broken(store.verify_audit_chain().await.unwrap());
    assert!(
        e.contains("r7.facility.1.3") && e.contains("監査記録にありません"),
        "{e}"
    );
    exec("DELETE FROM answers WHERE item IN ('r7.facility.1.3', 'r7.facility.1.1')").await;
    let e = broken(store.verify_audit_chain().await.unwrap());
    assert!(
        e.contains("r7.facility.1.1") && e.contains("消えています"),
        "{e}"
    );
    exec("INSERT INTO answers (org_id, edition, variant, item, target, round, answer, checked_on, target_date, note, updated_by, updated_at) \
          SELECT org_id, edition, variant, 'r7.facility.1.1', target, round, answer, checked_on, target_date, note, updated_by, updated_at FROM answers WHERE item = 'r7.facility.1.2'").await;
    assert!(store.verify_audit_chain().await.unwrap().is_ok());

    // A writer who edits an answer, its audit records, and recomputes every hash after them: the chain
    // verifies, the answers match, but the head a backup wrote down is gone from the chain.
    exec("UPDATE answers SET answer = 'no', target_date = '2026-03-31' WHERE item = 'r7.facility.1.2'").await;
    let rows = sqlx::query("SELECT id, org_id, actor, at, entity, entity_key, action, before_json, after_json FROM audit_log ORDER BY id")
        .fetch_all(&raw)
        .await
        .unwrap();
    let mut prev = String::new();
    for r in &rows {
        let id: i64 = r.get("id");
        let mut after: Option<String> = r.get("after_json");
        if r.get::<String, _>("entity") == "answer"
            && r.get::<String, _>("entity_key")
                .starts_with("r7.facility.1.2/")
        {
            after = after.map(|a| {
                a.replace("\"answer\":\"yes\"", "\"answer\":\"no\"")
                    .replace("\"target_date\":null", "\"target_date\":\"2026-03-31\"")
            });
        }
        let framed = serde_json::json!([
            prev,
            r.get::<i64, _>("org_id"),
            r.get::<String, _>("actor"),
            r.get::<String, _>("at"),
            r.get::<String, _>("entity"),
            r.get::<String, _>("entity_key"),
            r.get::<String, _>("action"),
            r.get::<Option<String>, _>("before_json"),
            after
        ])
        .to_string();
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(framed.as_bytes()));
        sqlx::query(
            "UPDATE audit_log SET after_json = $1, prev_hash = $2, hash = $3 WHERE id = $4",
        )
        .bind(after)
        .bind(&prev)
        .bind(&hash)
        .bind(id)
        .execute(&raw)
        .await
        .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1")
        .bind(&prev)
        .execute(&raw)
        .await
        .unwrap();
    assert!(
        store.verify_audit_chain().await.unwrap().is_ok(),
        "undetectable from inside the database"
    );
    let hashes = store.audit_hashes().await.unwrap();
    assert!(
        !mamori_store::head_in_chain(&hashes, &m.audit_head),
        "the backup's head is gone"
    );
    raw.close().await;
    store.close().await;
}
