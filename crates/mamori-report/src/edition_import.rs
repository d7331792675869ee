//! Importing an edition from MHLW's workbooks, as the CLI and the web page both do: read each workbook, take
//! its fingerprint, link its items to the previous edition (suggested, then confirmed), and turn the
//! confirmed draft into a catalog edition. Nothing here stores anything.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::catalog::{Catalog, Confidence, Edition, Form, ImportedEdition, Variant};
use mamori_core::dates::FiscalYear;
use mamori_core::edition_import::{Change, Link, inherit, link_for, removed, suggest_links};
use serde::{Deserialize, Serialize};

use crate::edition_workbook::{Fingerprint, LayoutMap, WorkbookError, read_edition_workbook};

/// Where a workbook came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub file_name: String,
    pub fingerprint: Fingerprint,
}

/// A workbook's provenance as kept with its import (and in the audit trail): which form it held, its name,
/// SHA-256, size and the match with the known official files.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceRecord<'a> {
    pub variant: Variant,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub bytes: u64,
    pub official: Option<&'a str>,
    /// 「公式ファイルと一致：…」 or 「既知のファイルと一致しません…」.
    pub verdict: String,
}

/// One form of the draft: what was read, where it goes in the workbook, and how it continues the
/// previous edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftForm {
    pub form: Form,
    pub layout: LayoutMap,
    pub ambiguities: Vec<String>,
    pub provenance: Provenance,
    /// The previous edition's form it is compared with: (edition, variant).
    pub previous: Option<(mamori_core::EditionId, Variant)>,
    pub links: Vec<Link>,
}

/// An edition being imported (the preview), and, once confirmed, the organisation's edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditionDraft {
    pub edition: mamori_core::EditionId,
    pub name: String,
    pub fiscal_year: i32,
    pub forms: Vec<DraftForm>,
}

/// A workbook as uploaded.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Edition ids: lower-case letters and digits, as the built-in `r5`…`r7`.
pub fn check_edition_id(catalog: &Catalog, id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 16
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.starts_with(|c: char| c.is_ascii_lowercase());
    if !ok {
        return Err(format!(
            "版の ID「{id}」は使えません（英小文字で始まる英小文字・数字16文字まで。例：r8）"
        ));
    }
    if catalog.edition(id).is_ok() {
        return Err(format!(
            "版「{id}」はすでにあります（別の ID にするか、取り込み済みの版を置き換える場合は同じ ID の取り込みを確定してください）"
        ));
    }
    Ok(())
}

/// The previous edition's form that a new form of `variant` continues: the newest edition of an earlier
/// fiscal year with that variant (the merged form continues the 医療機関確認用).
pub fn previous_form(catalog: &Catalog, fiscal_year: i32, variant: Variant) -> Option<&Form> {
    let prev_variant = match variant {
        Variant::Merged => Variant::Facility,
        v => v,
    };
    let mut editions: Vec<&Edition> = catalog
        .editions()
        .iter()
        .filter(|e| e.fiscal_year < fiscal_year)
        .collect();
    editions.sort_by_key(|e| e.fiscal_year);
    editions.iter().rev().find_map(|e| {
        catalog.form(&e.id, prev_variant).or_else(|| {
            catalog
                .form(&e.id, Variant::Merged)
                .filter(|_| variant != Variant::Vendor)
        })
    })
}

/// Reads the uploaded workbooks into a draft: one form per workbook, links suggested.
pub fn draft(
    catalog: &Catalog,
    edition: &str,
    fiscal_year: i32,
    variant: Option<Variant>,
    uploads: &[Upload],
) -> Result<EditionDraft, String> {
    if !(2023..=2100).contains(&fiscal_year) {
        return Err(format!("年度「{fiscal_year}」は使えません（例：2026）"));
    }
    if uploads.is_empty() {
        return Err("取り込む Excel ファイルを選んでください".into());
    }
    if variant.is_some() && uploads.len() > 1 {
        return Err("様式を指定するときは、ファイルを1つずつ取り込んでください".into());
    }
    let mut forms: Vec<DraftForm> = Vec::new();
    for up in uploads {
        let parsed = read_edition_workbook(&up.bytes, variant)
            .map_err(|WorkbookError::Refused(m)| format!("{}：{m}", up.file_name))?;
        if forms.iter().any(|f| f.form.variant == parsed.form.variant) {
            return Err(format!(
                "{}：{}のファイルが2つあります。1つにしてください",
                up.file_name,
                parsed.form.variant.label()
            ));
        }
        let fingerprint = Fingerprint::of(&up.bytes);
        let mut form = parsed.form;
        form.edition = edition.into();
        for item in &mut form.items {
            item.id = format!("{edition}.{}.{}", form.variant, item.key).into();
        }
        let prev = previous_form(catalog, fiscal_year, form.variant);
        let links = match prev {
            Some(p) => suggest_links(p, &form),
            None => form.items.iter().map(|i| link_for(i, None)).collect(),
        };
        forms.push(DraftForm {
            form,
            layout: parsed.layout,
            ambiguities: parsed.ambiguities,
            provenance: Provenance {
                file_name: up.file_name.clone(),
                fingerprint,
            },
            previous: prev.map(|p| (p.edition.clone(), p.variant)),
            links,
        });
    }
    if forms.iter().any(|f| f.form.variant == Variant::Merged)
        && forms
            .iter()
            .any(|f| matches!(f.form.variant, Variant::Facility | Variant::Pharmacy))
    {
        return Err(
            "医療機関・薬局確認用と、医療機関確認用・薬局確認用を同じ版に取り込むことはできません"
                .into(),
        );
    }
    Ok(EditionDraft {
        edition: edition.into(),
        name: format!("{}版（取り込み）", FiscalYear::new(fiscal_year).label()),
        fiscal_year,
        forms,
    })
}

impl DraftForm {
    /// The previous form, when the catalog still has it.
    pub fn previous_form<'a>(&self, catalog: &'a Catalog) -> Option<&'a Form> {
        self.previous
            .as_ref()
            .and_then(|(e, v)| catalog.form(e, *v))
    }

    /// Replaces the links with a person's choices: item key → previous item id (or none).
    pub fn relink(&mut self, catalog: &Catalog, choices: &HashMap<String, Option<String>>) {
        let prev = self.previous_form(catalog);
        for link in &mut self.links {
            let Some(choice) = choices.get(&link.key) else {
                continue;
            };
            let item = self
                .form
                .item_by_key(&link.key)
                .expect("links follow items");
            let p = choice
                .as_deref()
                .and_then(|id| prev.and_then(|f| f.item(id)));
            *link = link_for(
                item,
                p.map(|p| {
                    (
                        p,
                        mamori_core::edition_import::similarity(&p.text, &item.text),
                    )
                }),
            );
        }
    }

    /// Items of the previous form no new item continues.
    pub fn removed<'a>(&self, catalog: &'a Catalog) -> Vec<&'a mamori_core::Item> {
        self.previous_form(catalog)
            .map(|p| removed(p, &self.links))
            .unwrap_or_default()
    }

    pub fn change_of(&self, key: &str) -> Change {
        self.links
            .iter()
            .find(|l| l.key == key)
            .map(|l| l.change)
            .unwrap_or(Change::New)
    }
}

impl EditionDraft {
    /// The catalog edition this draft becomes: texts from an official file are verbatim (A); from any
    /// other file unverified (C), and shown so.
    pub fn to_edition(&self, catalog: &Catalog, published: NaiveDate) -> ImportedEdition {
        let mut forms = Vec::new();
        let mut links = Vec::new();
        for d in &self.forms {
            let mut form = d.form.clone();
            let prev = d.previous_form(catalog);
            let prev_name = prev
                .and_then(|p| catalog.edition(&p.edition).ok())
                .map(|e| e.name.clone())
                .unwrap_or_default();
            inherit(&mut form, prev, &prev_name, &d.links);
            let confidence = if d.provenance.fingerprint.official.is_some() {
                Confidence::A
            } else {
                Confidence::C
            };
            form.title_confidence = confidence;
            for n in &mut form.notes {
                n.confidence = confidence;
            }
            let source = format!(
                "{}（SHA-256 {}…）",
                d.provenance.file_name,
                &d.provenance.fingerprint.sha256[..12]
            );
            for item in &mut form.items {
                item.confidence = confidence;
                item.source = source.clone();
            }
            for l in &d.links {
                if let Some(p) = &l.previous {
                    links.push((
                        p.clone(),
                        format!("{}.{}.{}", self.edition, form.variant, l.key).into(),
                    ));
                }
            }
            forms.push(form);
        }
        ImportedEdition {
            edition: Edition {
                id: self.edition.as_str().into(),
                name: self.name.clone(),
                published,
                fiscal_year: self.fiscal_year,
            },
            forms,
            links,
        }
    }

    /// The provenance of every workbook of the draft.
    pub fn provenance(&self) -> Vec<ProvenanceRecord<'_>> {
        self.forms
            .iter()
            .map(|f| ProvenanceRecord {
                variant: f.form.variant,
                file_name: &f.provenance.file_name,
                sha256: &f.provenance.fingerprint.sha256,
                bytes: f.provenance.fingerprint.bytes,
                official: f.provenance.fingerprint.official.as_deref(),
                verdict: f.provenance.fingerprint.verdict(),
            })
            .collect()
    }

    pub fn form(&self, variant: Variant) -> Option<&DraftForm> {
        self.forms.iter().find(|f| f.form.variant == variant)
    }
}
