//! Backups: restore gives back every table as it was; a damaged file is refused and leaves nothing behind.

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
    let m = restore(&backups, "20250601T030000Z", &restored)
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
    let again = restore(&backups, "20250601T030000Z", &restored)
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
    let err = restore(&backups, &gens[0].generation, &target)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("壊れています"), "{err}");
    assert!(!target.exists());
    let missing = restore(&backups, "19990101T000000Z", &target)
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("マニフェストがありません"),
        "{missing}"
    );
}
