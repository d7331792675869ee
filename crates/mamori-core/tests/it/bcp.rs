//! The BCP 確認表 against `../shared/reference/bcp-checklist.md`: every A text of the reference's machine-readable
//! draft stands in the catalog exactly (under the same 項番), every C row of the reference is a gap here
//! (no words), and no text here is absent from the reference.

use mamori_core::bcp::BcpCatalog;

/// (項番 or row key, text, tag) from the reference's section 6 YAML lines `{text: "…", tag: X …}`.
fn reference_texts(reference: &str) -> Vec<(String, String)> {
    let yaml = &reference[reference.find("```yaml").expect("section 6 yaml")..];
    let mut out = Vec::new();
    for line in yaml.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("{text: ") {
            rest = &rest[at + 7..];
            let (text, after) = if let Some(r) = rest.strip_prefix('"') {
                let end = r.find('"').expect("closing quote");
                (r[..end].to_string(), &r[end + 1..])
            } else {
                (String::new(), rest)
            };
            let tag = after
                .split("tag: ")
                .nth(1)
                .and_then(|t| t.split([',', '}']).next())
                .unwrap_or("")
                .trim()
                .to_string();
            out.push((text, tag));
            rest = after;
        }
    }
    out
}

#[test]
fn the_bcp_table_matches_the_reference() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/bcp-checklist.md"
    );
    let Ok(reference) = std::fs::read_to_string(path) else {
        eprintln!(
            "SKIP: {path} not found (../shared is not beside this clone); the catalog's own checks still apply"
        );
        return;
    };
    let c = BcpCatalog::builtin().unwrap();
    let texts = reference_texts(&reference);
    assert!(texts.len() > 20, "the reference's draft was read");
    // Every A 確認項目 and heading of the reference is in the catalog, character for character.
    let catalog_texts: Vec<&str> = c
        .items
        .iter()
        .map(|i| i.text.as_str())
        .chain(c.headings.iter().map(|h| h.text.as_str()))
        .chain(c.steps.iter().map(|s| s.text.as_str()))
        .chain(c.steps.iter().map(|s| s.name.as_str()))
        .chain(std::iter::once(c.title.as_str()))
        .chain(c.notes.iter().map(|n| n.text.as_str()))
        .collect();
    let mut missing = Vec::new();
    for (text, tag) in &texts {
        // The 手引き's step headers (【3.…】) are not the 確認表's row text: left as gaps here.
        if tag == "A" && !text.starts_with('【') && !catalog_texts.contains(&text.as_str()) {
            missing.push(text.clone());
        }
    }
    assert!(missing.is_empty(), "A texts missing: {missing:#?}");
    // No text of ours: every non-empty text here is quoted in the reference.
    for t in catalog_texts.iter().filter(|t| !t.is_empty()) {
        assert!(reference.contains(t), "not in the reference: {t}");
    }
    // The reference's C rows are gaps here.
    for key in ["2-1", "2-2", "3-2", "3-3", "5-1"] {
        assert!(c.heading(key).unwrap().text.is_empty(), "{key}");
        assert!(
            c.item(&format!("{key}-1")).unwrap().text.is_empty(),
            "{key}"
        );
    }
    assert_eq!(c.steps().len(), 5);
}
