//! PDFs: Japanese text in the embedded font, typed text never markup, broken templates an error.

use serde_json::json;
use std::process::Command;

pub(crate) fn data(org: &str) -> serde_json::Value {
    json!({
        "pack_title": "サイバーセキュリティ対策チェックリスト 立入検査用資料",
        "org": org,
        "org_kind": "診療所",
        "officer": "山田 太郎",
        "fiscal_year": "令和8年度",
        "edition": "令和7年度版",
        "created": "令和8年12月1日",
        "notice": "令和8年度版はまだ取り込まれていないため、令和7年度版を使っています",
        "forms": [{
            "title": "医療機関におけるサイバーセキュリティ対策チェックリスト（令和7年5月）",
            "label": "医療機関確認用",
            "edition": "令和7年度版",
            "notes": ["＊各項目の実施状況を確認してください。"],
            "sections": [{
                "title": "1　体制構築",
                "groups": [{"heading": null, "rows": [{
                    "number": "(1)",
                    "text": "医療情報システム安全管理責任者を設置している。",
                    "r1": "はい\n（令和8年5月20日）", "r2": "", "note": "理事会で任命"
                }]}]
            }, {
                "title": "2　医療情報システムの管理・運用",
                "groups": [{"heading": "サーバ", "rows": [{
                    "number": "(1)",
                    "text": "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。",
                    "r1": "いいえ\n（令和8年5月20日）\n目標日：令和9年3月1日", "r2": "", "note": ""
                }]}]
            }]
        }],
        "noes": [{
            "number": "2(1)", "text": "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。",
            "target": "サーバ", "round": 1, "checked_on": "令和8年5月20日", "target_date": "令和9年3月1日",
            "note": "", "verdict": "いいえ", "reasons": ["機器台帳の48台中3台にソフトウェア（バージョン）がありません"]
        }],
        "ledgers": [{
            "title": "機器台帳", "summary": "2台（サーバ 1、端末PC 1）",
            "columns": ["種別", "コンピュータ名"], "rows": [["サーバ", "SV-01"], ["端末PC", "PC-01"]], "more": 0
        }, {
            "title": "バックアップ台帳", "summary": "0件", "columns": ["システム"], "rows": [], "more": 0
        }]
    })
}

pub(crate) fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// pdftotext's text of a PDF, without spaces and line breaks (it breaks long cells); None without poppler.
pub(crate) fn text_of(pdf: &[u8]) -> Option<String> {
    let path = write(pdf);
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(out.status.success());
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

/// The PDF as a file of its own (tests run in parallel).
pub(crate) fn write(pdf: &[u8]) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("mamori-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{}.pdf",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, pdf).unwrap();
    path
}

#[test]
fn the_pack_shows_japanese_text_with_the_embedded_font() {
    let pdf = mamori_pdf::render(
        mamori_pdf::PACK_TEMPLATE,
        &data("みどりクリニック"),
        today(),
    )
    .unwrap();
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(
        pdf.pages >= 4,
        "cover, form, いいえ, ledgers: {} pages",
        pdf.pages
    );
    let Some(text) = text_of(&pdf.bytes) else {
        println!("SKIP: pdftotext (poppler-utils) is not installed; text extraction not checked");
        return;
    };
    for want in [
        "みどりクリニック",
        "令和8年12月1日",
        "医療情報システム安全管理責任者を設置している。",
        "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。",
        "目標日：令和9年3月1日",
        "機器台帳の48台中3台にソフトウェア（バージョン）がありません",
        "SV-01",
        "（登録がありません）",
        "1/",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    let fonts = Command::new("pdffonts")
        .arg(write(&pdf.bytes))
        .output()
        .unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let ipa = fonts
        .lines()
        .find(|l| l.contains("IPAexGothic"))
        .unwrap_or_else(|| panic!("{fonts}"));
    assert!(ipa.contains(" yes yes "), "embedded and subset: {ipa}");
    assert_eq!(
        fonts.lines().filter(|l| l.contains("TrueType")).count(),
        1,
        "no other font (a missing glyph would fall back to one): {fonts}"
    );
    // The cover rendered by poppler is not blank. That the ink is Japanese glyphs, not boxes, rests on the
    // checks above: one font, embedded, whose glyphs extract as the Japanese text.
    let pgm = Command::new("pdftoppm")
        .args(["-r", "40", "-f", "1", "-l", "1", "-gray"])
        .arg(write(&pdf.bytes))
        .output()
        .unwrap();
    assert!(pgm.status.success());
    let ink = pgm.stdout.iter().filter(|b| **b < 128).count();
    assert!(ink > 500, "the cover has {ink} dark pixels");
}

/// Names with typst's markup characters print as typed.
#[test]
fn what_users_type_is_never_markup() {
    let org = "#set page(width: 1cm) *太字* $x$ = 見出し <ラベル> @参照 \\ 終わり";
    let pdf = mamori_pdf::render(mamori_pdf::PACK_TEMPLATE, &data(org), today()).unwrap();
    let Some(text) = text_of(&pdf.bytes) else {
        println!("SKIP: pdftotext (poppler-utils) is not installed");
        return;
    };
    let want: String = org.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains(&want), "{want} not in {text}");
}

#[test]
fn a_broken_template_is_an_error_not_a_panic() {
    let e = mamori_pdf::render("#let x = ", &json!({}), today())
        .err()
        .unwrap();
    assert!(e.to_string().contains("テンプレート"));
}
