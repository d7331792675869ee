//! The BCP document along the structure of MHLW's ひな形 (想定する事象, 体制と役割, 連絡体制, 重要システムと
//! 復旧優先順位, バックアップ体制, 代替手順, 復旧手順, 訓練計画, 文書の管理), filled from the facility's ledgers
//! and its own texts; written as an editable Word file (WordprocessingML by hand: paragraphs and tables
//! are all it needs). The PDF is the typst template `bcp.typ` over the same data.

use std::io::Write;

use serde::Serialize;

/// A contact as the chart, the document and the card show it.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub category: String,
    pub organisation: String,
    pub person: String,
    pub phone: String,
    pub after_hours: String,
    pub role: String,
}

/// A system of the 機器台帳 with its 復旧優先順位.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalSystem {
    pub priority: String,
    pub name: String,
    pub kind: String,
    pub location: String,
    pub vendor: String,
}

/// A backup of the バックアップ台帳 (the ひな形's table: システム | 頻度 | 作成方法 | 復旧方法).
#[derive(Debug, Clone, Serialize)]
pub struct BackupLine {
    pub system: String,
    pub frequency: String,
    pub method: String,
    pub generations: String,
    pub storage: String,
    pub offline: String,
    pub restore_procedure: String,
    pub restore_tested_on: String,
}

/// Everything the BCP document (and the incident card) prints.
#[derive(Debug, Clone, Serialize)]
pub struct BcpDocument {
    pub org_name: String,
    pub officer: String,
    pub created_on: String,
    /// (heading, the facility's text or 「（未記入）」 with an example, filled)
    pub texts: Vec<(String, String, bool)>,
    pub contacts: Vec<Contact>,
    pub chart_svg: String,
    pub systems: Vec<CriticalSystem>,
    pub backups: Vec<BackupLine>,
    /// (実施日, 種別, 想定・内容, 結果), newest first.
    pub exercises: Vec<(String, String, String, String)>,
}

impl BcpDocument {
    /// The facility's text under `heading`.
    pub fn text(&self, heading: &str) -> &str {
        self.texts
            .iter()
            .find(|(h, _, _)| h == heading)
            .map(|(_, t, _)| t.as_str())
            .unwrap_or("")
    }
}

/// The ひな形's attack examples and events (shared/reference §4.6, A).
pub const EVENTS: &str = "診療情報等の確認・参照ができない／入力ができない／スタッフ間の連絡ができない／情報機器・医療機器の操作ができない・誤動作する。原因となる攻撃の例：不正アクセス等、標的型メール攻撃、マルウェア感染（ランサムウェアを含む）、DDoS攻撃、攻撃の予兆。";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A paragraph; each line of `text` its own line (a break between).
fn para(text: &str, style: Option<&str>) -> String {
    let style = style
        .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
        .unwrap_or_default();
    let runs: Vec<String> = text
        .lines()
        .map(|l| format!(r#"<w:t xml:space="preserve">{}</w:t>"#, esc(l)))
        .collect();
    format!("<w:p>{style}<w:r>{}</w:r></w:p>", runs.join("<w:br/>"))
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |t: &str, head: bool| {
        let shade = if head {
            r#"<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="E8E8E8"/></w:tcPr>"#
        } else {
            ""
        };
        format!("<w:tc>{shade}{}</w:tc>", para(t, None))
    };
    let mut s = String::from(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/><w:tblW w:w="5000" w:type="pct"/></w:tblPr>"#,
    );
    s.push_str("<w:tr>");
    for h in header {
        s.push_str(&cell(h, true));
    }
    s.push_str("</w:tr>");
    for r in rows {
        s.push_str("<w:tr>");
        for c in r {
            s.push_str(&cell(c, false));
        }
        s.push_str("</w:tr>");
    }
    s.push_str("</w:tbl>");
    s.push_str(&para("", None));
    s
}

fn body(d: &BcpDocument) -> String {
    let mut b = String::new();
    b.push_str(&para(
        "サイバー攻撃を想定した事業継続計画（BCP）",
        Some("Title"),
    ));
    b.push_str(&para(
        &format!(
            "{}　作成日 {}　医療情報システム安全管理責任者 {}",
            d.org_name, d.created_on, d.officer
        ),
        None,
    ));
    b.push_str(&para("1. 想定する事象", Some("Heading1")));
    b.push_str(&para(EVENTS, None));
    b.push_str(&para(d.text("想定する事象"), None));
    b.push_str(&para("2. 体制と役割", Some("Heading1")));
    b.push_str(&para(
        &format!("医療情報システム安全管理責任者：{}", d.officer),
        None,
    ));
    b.push_str(&para(d.text("体制と役割"), None));
    b.push_str(&para("3. 連絡体制", Some("Heading1")));
    b.push_str(&para(
        "発見した職員は安全管理責任者へ連絡し、安全管理責任者が次の連絡先へ連絡する（連絡体制図はPDF版に記載）。",
        None,
    ));
    b.push_str(&table(
        &[
            "区分",
            "組織名",
            "担当者",
            "電話",
            "時間外",
            "インシデント時の役割",
        ],
        &d.contacts
            .iter()
            .map(|c| {
                vec![
                    c.category.clone(),
                    c.organisation.clone(),
                    c.person.clone(),
                    c.phone.clone(),
                    c.after_hours.clone(),
                    c.role.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    b.push_str(&para("4. 重要システムと復旧優先順位", Some("Heading1")));
    if d.systems.is_empty() {
        b.push_str(&para(
            "（未記入）機器台帳の「復旧優先順位」に 1〜3 を入れると、ここに一覧が入ります。",
            None,
        ));
    } else {
        b.push_str(&table(
            &["優先順位", "機器・システム", "種別", "設置場所", "事業者"],
            &d.systems
                .iter()
                .map(|s| {
                    vec![
                        s.priority.clone(),
                        s.name.clone(),
                        s.kind.clone(),
                        s.location.clone(),
                        s.vendor.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        ));
    }
    b.push_str(&para("5. バックアップ体制", Some("Heading1")));
    b.push_str(&table(
        &[
            "システム",
            "頻度",
            "作成方法",
            "世代・保管場所",
            "オフライン",
            "復旧方法",
            "最終復旧テスト",
        ],
        &d.backups
            .iter()
            .map(|x| {
                vec![
                    x.system.clone(),
                    x.frequency.clone(),
                    x.method.clone(),
                    format!("{} {}", x.generations, x.storage)
                        .trim()
                        .to_string(),
                    x.offline.clone(),
                    x.restore_procedure.clone(),
                    x.restore_tested_on.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    for (n, heading) in [
        (6, "診療継続のための代替手順"),
        (7, "復旧手順"),
        (8, "訓練計画"),
    ] {
        b.push_str(&para(&format!("{n}. {heading}"), Some("Heading1")));
        b.push_str(&para(d.text(heading), None));
        if n == 8 && !d.exercises.is_empty() {
            b.push_str(&para("訓練の記録", Some("Heading2")));
            b.push_str(&table(
                &["実施日", "種別", "想定・内容", "結果"],
                &d.exercises
                    .iter()
                    .map(|(a, k, s, r)| vec![a.clone(), k.clone(), s.clone(), r.clone()])
                    .collect::<Vec<_>>(),
            ));
        }
    }
    b.push_str(&para("9. 文書の管理および周知", Some("Heading1")));
    b.push_str(&para(d.text("文書の管理および周知"), None));
    b
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Japanese fonts first: IPAex (shipped with Mamori's PDFs), then Windows' own.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="IPAexGothic" w:hAnsi="IPAexGothic" w:eastAsia="IPAexGothic"/><w:sz w:val="21"/><w:lang w:val="en-US" w:eastAsia="ja-JP"/></w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:pPr><w:spacing w:after="80"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="200"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/></w:rPr></w:style><w:style w:type="table" w:styleId="Grid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:color="808080"/><w:left w:val="single" w:sz="4" w:color="808080"/><w:bottom w:val="single" w:sz="4" w:color="808080"/><w:right w:val="single" w:sz="4" w:color="808080"/><w:insideH w:val="single" w:sz="4" w:color="808080"/><w:insideV w:val="single" w:sz="4" w:color="808080"/></w:tblBorders><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#;

/// The document as a Word file (.docx).
pub fn docx(d: &BcpDocument) -> Result<Vec<u8>, zip::result::ZipError> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1021" w:bottom="1134" w:left="1021" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        body(d)
    );
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/styles.xml", STYLES),
        ("word/document.xml", document.as_str()),
    ] {
        out.start_file(name, opts)?;
        out.write_all(text.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> BcpDocument {
        BcpDocument {
            org_name: "みどりクリニック".into(),
            officer: "山田 太郎".into(),
            created_on: "令和8年12月6日".into(),
            texts: vec![
                ("想定する事象".into(), "電子カルテの停止".into(), true),
                (
                    "診療継続のための代替手順".into(),
                    "紙カルテ & 手書き伝票\n受付は手作業".into(),
                    true,
                ),
            ],
            contacts: vec![Contact {
                category: "事業者".into(),
                organisation: "ひかりシステム<保守>".into(),
                person: "佐藤".into(),
                phone: "03-0000-0000".into(),
                after_hours: String::new(),
                role: "復旧作業".into(),
            }],
            chart_svg: String::new(),
            systems: vec![],
            backups: vec![],
            exercises: vec![],
        }
    }

    #[test]
    fn the_word_file_is_a_zip_with_the_texts_escaped() {
        let bytes = docx(&sample()).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml)
            .unwrap();
        assert!(xml.contains("ひかりシステム&lt;保守&gt;"));
        assert!(xml.contains(
            "紙カルテ &amp; 手書き伝票</w:t><w:br/><w:t xml:space=\"preserve\">受付は手作業"
        ));
        assert!(xml.contains("4. 重要システムと復旧優先順位"));
        assert!(z.by_name("word/styles.xml").is_ok());
    }
}
