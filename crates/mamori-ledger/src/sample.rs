//! Deterministic sample ledgers for `mamori dev seed` and the benchmarks: plausible clinics' devices and
//! accounts, with a few problems the evidence rules should find.

use crate::Row;

fn row(pairs: &[(&str, String)]) -> Row {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Software entries per device (the "200,000 software rows" of 20,000 devices).
pub const SOFTWARE_PER_DEVICE: usize = 10;

pub fn device(i: usize) -> Row {
    let kinds = [
        "端末PC",
        "端末PC",
        "端末PC",
        "サーバ",
        "ネットワーク機器",
        "医療機器",
    ];
    let software: Vec<String> = (0..SOFTWARE_PER_DEVICE)
        .map(|s| match s {
            0 => format!("電子カルテ 5.{}", i % 9),
            1 => "Microsoft Office 2021".to_string(),
            2 => format!("Adobe Acrobat Reader 24.{:03}", i % 400),
            3 => "Microsoft Edge 131".to_string(),
            4 => format!("ウイルス対策ソフト 12.{}", i % 5),
            n => format!("業務ソフト{n} 1.{}", (i + n) % 20),
        })
        .collect();
    row(&[
        ("no", format!("{:05}", i + 1)),
        ("device_kind", kinds[i % kinds.len()].to_string()),
        ("maker", ["富士通", "NEC", "Dell", "HP"][i % 4].to_string()),
        ("model", format!("MODEL-{}", i % 50)),
        ("os", "Windows 11 Pro".to_string()),
        ("os_version", "23H2".to_string()),
        // Every 97th device lacks its software list: 2(1) finds it.
        (
            "software",
            if i.is_multiple_of(97) {
                String::new()
            } else {
                software.join("; ")
            },
        ),
        (
            "ip",
            format!("10.{}.{}.{}", (i / 65536) % 256, (i / 256) % 256, i % 256),
        ),
        (
            "mac",
            format!(
                "00:1B:44:{:02X}:{:02X}:{:02X}",
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            ),
        ),
        ("computer_name", format!("PC-{:05}", i + 1)),
        (
            "location",
            ["外来", "病棟", "医事課", "サーバ室"][i % 4].to_string(),
        ),
        ("vendor", ["A社", "B社", "C社"][i % 3].to_string()),
        (
            "remote_maintenance",
            ["有", "無", "無", "未確認"][i % 4].to_string(),
        ),
        (
            "remote_confirmed_on",
            if i.is_multiple_of(4) {
                "2025-04-01".to_string()
            } else {
                String::new()
            },
        ),
        ("support_end", format!("{}-10-14", 2025 + (i % 6))),
    ])
}

pub fn account(i: usize) -> Row {
    let retired = i.is_multiple_of(53);
    row(&[
        ("no", format!("{:06}", i + 1)),
        (
            "system",
            ["電子カルテ", "レセコン", "PACS"][i % 3].to_string(),
        ),
        (
            "department",
            ["内科", "外科", "看護部", "医事課", "薬剤部"][i % 5].to_string(),
        ),
        (
            "family_name",
            ["山田", "佐藤", "鈴木", "高橋", "田中"][i % 5].to_string(),
        ),
        (
            "given_name",
            ["太郎", "花子", "一郎", "恵子"][i % 4].to_string(),
        ),
        ("phone", format!("03{:08}", i)),
        ("user_id", format!("u{:06}", i)),
        (
            "privilege",
            if i.is_multiple_of(40) {
                "Admin"
            } else {
                "User"
            }
            .to_string(),
        ),
        (
            "admin",
            if i.is_multiple_of(40) {
                "はい"
            } else {
                "いいえ"
            }
            .to_string(),
        ),
        // Every 53rd account: retired last year, still usable (2(5) finds it).
        (
            "status",
            if i.is_multiple_of(31) {
                "無効"
            } else {
                "使用可"
            }
            .to_string(),
        ),
        (
            "end_date",
            if retired {
                "2024-03-31".to_string()
            } else {
                String::new()
            },
        ),
        ("reviewed_on", "2025-04-01".to_string()),
        (
            "two_factor",
            if i.is_multiple_of(3) { "無" } else { "有" }.to_string(),
        ),
    ])
}

/// The 外部連絡リスト a new facility starts with (editable rows): MHLW's office for medical information
/// security, the MIST 「インシデントかも」 desk and the police. Numbers that differ by region are left empty
/// for the facility to fill in (the evidence for 3(1) asks for them).
pub fn initial_contacts() -> Vec<Row> {
    vec![
        row(&[
            ("no", "1".into()),
            ("category", "公的機関".into()),
            (
                "organisation",
                "厚生労働省 医政局特定医薬品開発支援・医療情報担当参事官室".into(),
            ),
            ("phone", "03-6812-7837".into()),
            (
                "role",
                "サイバー攻撃を受けたとき（疑いを含む）の連絡先".into(),
            ),
        ]),
        row(&[
            ("no", "2".into()),
            ("category", "その他".into()),
            (
                "organisation",
                "MIST（医療機関向けセキュリティ教育支援ポータル）「インシデントかも」相談窓口"
                    .into(),
            ),
            (
                "role",
                "インシデントかどうか迷うときの相談（https://mhlw-training.saj.or.jp/）".into(),
            ),
        ]),
        row(&[
            ("no", "3".into()),
            ("category", "公的機関".into()),
            (
                "organisation",
                "都道府県警察本部 サイバー犯罪相談窓口".into(),
            ),
            (
                "role",
                "被害の届出・相談（電話番号は所在地の警察本部のものを記入）".into(),
            ),
        ]),
    ]
}
