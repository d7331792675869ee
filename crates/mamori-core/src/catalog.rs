//! The checklist catalog: every edition × variant as data files (`catalog/*.toml`), loaded and validated once.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::dates::FiscalYear;

/// Form variants. The built-in editions have one form per facility kind plus the vendor form; from 令和8年度
/// one merged form (医療機関・薬局確認用) serves hospitals, clinics and pharmacies alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Facility,
    Pharmacy,
    Vendor,
    Merged,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Facility,
        Variant::Pharmacy,
        Variant::Vendor,
        Variant::Merged,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Variant::Facility => "facility",
            Variant::Pharmacy => "pharmacy",
            Variant::Vendor => "vendor",
            Variant::Merged => "merged",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Variant::Facility => "医療機関確認用",
            Variant::Pharmacy => "薬局確認用",
            Variant::Vendor => "事業者確認用",
            Variant::Merged => "医療機関・薬局確認用",
        }
    }
    /// Whether a facility (hospital or clinic; `pharmacy` for a pharmacy) answers this form itself.
    pub fn serves_facility(self, pharmacy: bool) -> bool {
        match self {
            Variant::Facility => !pharmacy,
            Variant::Pharmacy => pharmacy,
            Variant::Merged => true,
            Variant::Vendor => false,
        }
    }
}

impl FromStr for Variant {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL
            .into_iter()
            .find(|v| v.id() == s)
            .ok_or_else(|| CatalogError::UnknownVariant(s.to_string()))
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Target groups of section 2 (and 全般 for items that are not target-specific).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    General,
    Server,
    Terminal,
    Network,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::General,
        Target::Server,
        Target::Terminal,
        Target::Network,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Target::General => "general",
            Target::Server => "server",
            Target::Terminal => "terminal",
            Target::Network => "network",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Target::General => "全般",
            Target::Server => "サーバ",
            Target::Terminal => "端末PC",
            Target::Network => "ネットワーク機器",
        }
    }
}

impl FromStr for Target {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| CatalogError::UnknownTarget(s.to_string()))
    }
}

/// How sure the reference is of a text (see shared/reference/mhlw-checklist.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    A,
    B,
    C,
}

impl Confidence {
    /// C texts are reconstructions and must be shown as unverified.
    pub fn is_unverified(self) -> bool {
        self == Confidence::C
    }
}

pub const UNVERIFIED_LABEL: &str = "未確認の文言";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemTarget {
    pub group: Target,
    /// 参考項目: not required in this edition for this target.
    #[serde(default)]
    pub reference: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Stable id: `{edition}.{variant}.{key}`, e.g. `r7.facility.2.6`.
    #[serde(default)]
    pub id: crate::ItemId,
    /// Key within the edition, shared by its variants: `gate`, `1.1`, `2.6`, …
    pub key: String,
    /// `gate`, `1`, `2` or `3`.
    pub section: String,
    /// Number as printed, e.g. `(6)`; empty for the gate item.
    pub number: String,
    /// Topic of the item across editions (guidance and evidence hang on it).
    pub topic: crate::Topic,
    pub text: String,
    pub confidence: Confidence,
    /// A note printed under the item (e.g. the R7 password rule's ※).
    #[serde(default)]
    pub note: Option<String>,
    /// The 「医療情報システムを導入、運用している。」 item.
    #[serde(default)]
    pub gate: bool,
    /// 記入不要 when the facility has no vendor contract (2(2), 2(3)).
    #[serde(default)]
    pub vendor_contract_only: bool,
    pub targets: Vec<ItemTarget>,
    pub source: String,
    /// Mamori's explanation of the item (not MHLW's words), filled from guidance.toml by topic.
    #[serde(default)]
    pub guidance: String,
    /// The documents (in Japanese, with pages) `guidance` summarises.
    #[serde(default)]
    pub guidance_sources: String,
    /// The edition whose manual `guidance` summarises when it is not this item's own (an imported
    /// edition inherits the previous one's): shown as 「令和7年度版の解説」.
    #[serde(default)]
    pub guidance_edition: String,
}

impl Item {
    pub fn has_target(&self, t: Target) -> bool {
        self.targets.iter().any(|x| x.group == t)
    }
    pub fn is_reference_for(&self, t: Target) -> bool {
        self.targets.iter().any(|x| x.group == t && x.reference)
    }
    /// The scope label printed after a section-2 item in a form kept in its own order, as the R7 manual
    /// writes it: 「（医療情報システム全般）」, 「（サーバ、端末PC）」, 「（ネットワーク機器）」.
    pub fn scope_label(&self) -> String {
        let labels: Vec<&str> = self
            .targets
            .iter()
            .map(|t| match t.group {
                Target::General => "医療情報システム全般",
                other => other.label(),
            })
            .collect();
        format!("（{}）", labels.join("、"))
    }
    /// Display label like `2(6)`; the gate item shows as `有無`.
    pub fn label(&self) -> String {
        if self.gate {
            "有無".to_string()
        } else {
            format!("{}{}", self.section, self.number)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub confidence: Confidence,
}

/// One form: an edition × variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Form {
    pub edition: crate::EditionId,
    pub variant: Variant,
    pub title: String,
    pub title_confidence: Confidence,
    #[serde(default, rename = "note")]
    pub notes: Vec<Note>,
    #[serde(rename = "item")]
    pub items: Vec<Item>,
    /// Section titles as this form prints them (imported editions); the catalog's otherwise.
    #[serde(default)]
    pub section_titles: BTreeMap<String, String>,
    /// Section-2 group headings by target id, as this form prints them (imported editions).
    #[serde(default)]
    pub group_headings: BTreeMap<String, String>,
    /// The gate item's note as this form prints it (imported editions).
    #[serde(default)]
    pub gate_note: Option<String>,
    /// Section 2 printed in the form's own order, each item followed by its scope label (the R7 manual's
    /// ①…⑬), instead of regrouped by target (R5/R6).
    #[serde(default)]
    pub in_order: bool,
    /// Whether the reference could not confirm how the form lays out its items (numbering style, how the
    /// targets are shown): printed with a 未確認 mark.
    #[serde(default)]
    pub layout_unverified: bool,
}

impl Form {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
    pub fn item_by_key(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.key == key)
    }
    pub fn gate_item(&self) -> Option<&Item> {
        self.items.iter().find(|i| i.gate)
    }
    /// Every (item, target) row that takes an answer, in form order.
    pub fn rows(&self) -> impl Iterator<Item = (&Item, Target)> {
        self.items
            .iter()
            .flat_map(|i| i.targets.iter().map(move |t| (i, t.group)))
    }
    /// Section ids in form order (the order of their first items).
    pub fn section_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.section.as_str()) {
                out.push(&i.section);
            }
        }
        out
    }
    /// Layout as on the form: sections in order; in section 2 the items are grouped by target (R5/R6),
    /// or kept in the form's order with one row per target (`in_order`, R7).
    pub fn layout(&self) -> Vec<LayoutSection<'_>> {
        self.layout_with(self.in_order)
    }

    /// The layout with section 2 regrouped by target whatever the form does (the shape of the R5/R6
    /// forms, which sample workbooks of any edition take).
    pub fn layout_by_target(&self) -> Vec<LayoutSection<'_>> {
        self.layout_with(false)
    }

    fn layout_with(&self, in_order: bool) -> Vec<LayoutSection<'_>> {
        let mut out: Vec<LayoutSection<'_>> = Vec::new();
        for section in self.section_ids() {
            let items: Vec<&Item> = self.items.iter().filter(|i| i.section == section).collect();
            if items.is_empty() {
                continue;
            }
            let groups = if section == "2" && !in_order {
                Target::ALL
                    .into_iter()
                    .filter_map(|t| {
                        let rows: Vec<(&Item, Target)> = items
                            .iter()
                            .copied()
                            .filter(|i| i.has_target(t))
                            .map(|i| (i, t))
                            .collect();
                        (!rows.is_empty()).then_some(LayoutGroup {
                            target: Some(t),
                            rows,
                        })
                    })
                    .collect()
            } else {
                vec![LayoutGroup {
                    target: None,
                    rows: items
                        .iter()
                        .flat_map(|i| i.targets.iter().map(move |t| (*i, t.group)))
                        .collect(),
                }]
            };
            out.push(LayoutSection {
                section: section.to_string(),
                groups,
            });
        }
        out
    }
}

pub struct LayoutSection<'a> {
    pub section: String,
    pub groups: Vec<LayoutGroup<'a>>,
}

pub struct LayoutGroup<'a> {
    /// The target heading of a section-2 group; `None` where the rows carry their own (outside section
    /// 2, or a form printed in its own order).
    pub target: Option<Target>,
    /// (item, target) rows in print order.
    pub rows: Vec<(&'a Item, Target)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Edition {
    pub id: crate::EditionId,
    pub name: String,
    pub published: chrono::NaiveDate,
    pub fiscal_year: i32,
}

#[derive(Debug, Clone, Deserialize)]
struct EditionsFile {
    edition: Vec<Edition>,
    sections: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
    gate: GateFile,
}

#[derive(Debug, Clone, Deserialize)]
struct GateFile {
    note: String,
}

#[derive(Debug, Clone, Deserialize)]
struct GuidanceFile {
    topic: BTreeMap<crate::Topic, GuidanceEntry>,
    guideline7: BTreeMap<crate::Topic, GuidanceEntry>,
    /// A pharmacy's wording where the examples differ (電子薬歴, 開設者, 薬局内).
    pharmacy: BTreeMap<crate::Topic, GuidanceEntry>,
    pharmacy7: BTreeMap<crate::Topic, GuidanceEntry>,
}

/// One of Mamori's explanations and the documents it summarises.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct GuidanceEntry {
    pub text: String,
    pub sources: String,
}

/// The explanation shown beside an item on a day: Mamori's words, labelled as such, with its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guidance {
    /// 「Mamori による解説」, or with the edition it was written for when that is not the item's own.
    pub label: String,
    pub text: String,
    /// 「出典」: the documents summarised, in Japanese.
    pub sources: String,
}

#[derive(Debug, Clone, Deserialize)]
struct MappingFile {
    map: Vec<EditionMap>,
}

/// Which item of `from` became which item of `to` (by item key).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EditionMap {
    pub from: String,
    pub to: String,
    pub items: BTreeMap<String, String>,
    #[serde(default)]
    pub added: Vec<String>,
    #[serde(default)]
    pub removed: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("カタログファイル {file} を読み込めません: {message}")]
    Parse { file: String, message: String },
    #[error("カタログが不正です（{0}）")]
    Invalid(String),
    #[error("版「{0}」はありません")]
    UnknownEdition(String),
    #[error("様式「{0}」はありません（facility / pharmacy / vendor のいずれか）")]
    UnknownVariant(String),
    #[error("対象「{0}」はありません（general / server / terminal / network のいずれか）")]
    UnknownTarget(String),
}

/// Which edition to use for a fiscal year, and whether it is an older one used for want of a newer.
#[derive(Debug, Clone, PartialEq)]
pub struct EditionChoice {
    pub edition: crate::EditionId,
    /// Fiscal year being checked (target dates must fall inside it).
    pub fiscal_year: FiscalYear,
    /// Set when no edition of that fiscal year is known and the newest older one is used.
    pub fallback_notice: Option<String>,
}

/// What MHLW has published per fiscal year that Mamori does not carry built in (the workbooks are
/// imported by each organisation): shared/reference/current-editions.md.
const PUBLISHED: &[(i32, &str)] = &[(
    2026,
    "令和8年度版のチェックリスト（「医療機関・薬局におけるサイバーセキュリティ対策チェックリスト」、Excel の医療機関・薬局確認用と事業者確認用）",
)];

#[derive(Debug, Clone)]
pub struct Catalog {
    editions: Vec<Edition>,
    forms: Vec<Form>,
    maps: Vec<EditionMap>,
    sections: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
    gate_note: String,
    /// Item links of imported editions: (previous edition's item id, imported item id).
    links: Vec<(crate::ItemId, crate::ItemId)>,
    /// Ids of the editions imported from workbooks (not built in).
    imported: Vec<crate::EditionId>,
    /// The edition an organisation chose for a fiscal year when it started that year (start year →
    /// edition); the calendar decides the years without a choice.
    year_choices: BTreeMap<i32, crate::EditionId>,
    /// Explanations that replace the topic's own from the day guideline 第7.0版 is in force.
    guideline7: BTreeMap<crate::Topic, GuidanceEntry>,
    /// The same for a pharmacy's form (薬局確認用), where its examples differ.
    pharmacy7: BTreeMap<crate::Topic, GuidanceEntry>,
}

/// An edition imported from MHLW's workbook, with each form's item links to the previous edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportedEdition {
    pub edition: Edition,
    pub forms: Vec<Form>,
    /// (previous edition's item id, this edition's item id), as the administrator confirmed them.
    pub links: Vec<(crate::ItemId, crate::ItemId)>,
}

const FORM_FILES: &[(&str, &str)] = &[
    (
        "r5-facility.toml",
        include_str!("../catalog/r5-facility.toml"),
    ),
    (
        "r5-pharmacy.toml",
        include_str!("../catalog/r5-pharmacy.toml"),
    ),
    ("r5-vendor.toml", include_str!("../catalog/r5-vendor.toml")),
    (
        "r6-facility.toml",
        include_str!("../catalog/r6-facility.toml"),
    ),
    (
        "r6-pharmacy.toml",
        include_str!("../catalog/r6-pharmacy.toml"),
    ),
    ("r6-vendor.toml", include_str!("../catalog/r6-vendor.toml")),
    (
        "r7-facility.toml",
        include_str!("../catalog/r7-facility.toml"),
    ),
    (
        "r7-pharmacy.toml",
        include_str!("../catalog/r7-pharmacy.toml"),
    ),
    ("r7-vendor.toml", include_str!("../catalog/r7-vendor.toml")),
];
const EDITIONS_FILE: &str = include_str!("../catalog/editions.toml");
const GUIDANCE_FILE: &str = include_str!("../catalog/guidance.toml");
const MAPPING_FILE: &str = include_str!("../catalog/mapping.toml");

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })
}

impl Catalog {
    /// The catalog built into this binary, validated.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let ed: EditionsFile = parse("editions.toml", EDITIONS_FILE)?;
        let guidance: GuidanceFile = parse("guidance.toml", GUIDANCE_FILE)?;
        let mapping: MappingFile = parse("mapping.toml", MAPPING_FILE)?;
        let mut forms = Vec::new();
        for (file, text) in FORM_FILES {
            let mut form: Form = parse(file, text)?;
            for item in &mut form.items {
                item.id = format!("{}.{}.{}", form.edition, form.variant, item.key).into();
                let pharmacy = (form.variant == Variant::Pharmacy)
                    .then(|| guidance.pharmacy.get(&item.topic))
                    .flatten();
                let g = pharmacy
                    .or(guidance.topic.get(&item.topic))
                    .ok_or_else(|| {
                        CatalogError::Invalid(format!(
                            "{file}: 話題 {} の解説がありません",
                            item.topic
                        ))
                    })?;
                item.guidance = g.text.clone();
                item.guidance_sources = g.sources.clone();
            }
            forms.push(form);
        }
        let catalog = Catalog {
            editions: ed.edition,
            forms,
            maps: mapping.map,
            sections: ed.sections,
            groups: ed.groups,
            gate_note: ed.gate.note,
            links: Vec::new(),
            imported: Vec::new(),
            year_choices: BTreeMap::new(),
            guideline7: guidance.guideline7,
            pharmacy7: guidance.pharmacy7,
        };
        catalog.validate()?;
        Ok(catalog)
    }

    /// This catalog with imported editions added (an organisation's own, from MHLW's workbooks).
    pub fn with_imported(&self, imported: &[ImportedEdition]) -> Result<Catalog, CatalogError> {
        let mut c = self.clone();
        for imp in imported {
            if c.editions.iter().any(|e| e.id == imp.edition.id) {
                return Err(CatalogError::Invalid(format!(
                    "版「{}」はすでにあります",
                    imp.edition.id
                )));
            }
            c.editions.push(imp.edition.clone());
            c.imported.push(imp.edition.id.clone());
            for form in &imp.forms {
                let mut form = form.clone();
                form.edition = imp.edition.id.clone();
                for item in &mut form.items {
                    item.id = format!("{}.{}.{}", form.edition, form.variant, item.key).into();
                }
                c.forms.push(form);
            }
            c.links.extend(imp.links.iter().cloned());
        }
        c.editions.sort_by_key(|e| e.fiscal_year);
        c.validate()?;
        Ok(c)
    }

    /// This catalog without an imported edition (and its links): what importing that edition again is read
    /// against. Built-in editions stay.
    pub fn without_imported(&self, edition: &str) -> Catalog {
        if !self.is_imported(edition) {
            return self.clone();
        }
        let mut c = self.clone();
        c.editions.retain(|e| e.id != edition);
        c.forms.retain(|f| f.edition != edition);
        c.imported.retain(|e| e != edition);
        let prefix = format!("{edition}.");
        c.links
            .retain(|(from, to)| !from.starts_with(&prefix) && !to.starts_with(&prefix));
        c
    }

    /// Whether an edition was imported from a workbook (rather than built in).
    pub fn is_imported(&self, edition: &str) -> bool {
        self.imported.iter().any(|e| e == edition)
    }

    /// The previous edition's item that `item_id` (of an imported edition) continues, if any.
    pub fn predecessor(&self, item_id: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(_, to)| to == item_id)
            .map(|(from, _)| from.as_str())
    }

    /// The item of `from` that `item` continues: the same key in the same edition; the confirmed link
    /// of an imported edition (none when it was confirmed new); the edition map between built-in editions; else the one item of `from`
    /// on the same topic (editions further apart, a facility's form to a merged one).
    pub fn counterpart<'a>(&self, item: &Item, from: &'a Form) -> Option<&'a Item> {
        let edition = item.id.split('.').next().unwrap_or_default();
        if edition == from.edition.as_str() {
            return from.item_by_key(&item.key);
        }
        if let Some(p) = self.predecessor(&item.id) {
            // Linked to an item of `from`'s edition: the same key in `from` (a pharmacy's form when the
            // link names the facility's).
            let mut parts = p.splitn(3, '.');
            if let (Some(ed), Some(_), Some(key)) = (parts.next(), parts.next(), parts.next())
                && ed == from.edition.as_str()
            {
                return from.item_by_key(key);
            }
        } else if self.is_imported(edition) {
            // The administrator confirmed it has no previous item.
            return None;
        }
        if let Some(f) = from
            .items
            .iter()
            .find(|f| self.successor(&f.id).is_some_and(|s| s == item.id))
        {
            return Some(f);
        }
        let mut same_topic = from.items.iter().filter(|f| f.topic == item.topic);
        match (same_topic.next(), same_topic.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// Mamori's explanation of `item` on `day`: the one of the guideline in force that day where it
    /// changed (第7.0版 withdrew the periodic password change, set 2FA per system, みなし遵守 and the 99
    /// MDS/SDS 確認事項), whatever edition the item belongs to; else the item's own. `None` for an item
    /// without one (new in an imported edition).
    pub fn guidance(&self, item: &Item, day: chrono::NaiveDate) -> Option<Guidance> {
        let pharmacy = item.id.split('.').nth(1) == Some(Variant::Pharmacy.id());
        let newer = (crate::guideline::Guideline::on(day) == crate::guideline::Guideline::V7)
            .then(|| {
                pharmacy
                    .then(|| self.pharmacy7.get(&item.topic))
                    .flatten()
                    .or_else(|| self.guideline7.get(&item.topic))
            })
            .flatten();
        if let Some(g) = newer {
            return Some(Guidance {
                label: format!(
                    "Mamori による解説（{}に沿う。厚生労働省の文言ではありません）",
                    crate::guideline::Guideline::V7.label()
                ),
                text: g.text.clone(),
                sources: g.sources.clone(),
            });
        }
        if item.guidance.is_empty() {
            return None;
        }
        Some(Guidance {
            label: if item.guidance_edition.is_empty() {
                "Mamori による解説（厚生労働省の文言ではありません）".to_string()
            } else {
                format!(
                    "Mamori による解説（{}の項目について書いたもの。この版の解説ではありません）",
                    item.guidance_edition
                )
            },
            text: item.guidance.clone(),
            sources: item.guidance_sources.clone(),
        })
    }

    /// This catalog with an organisation's choices of edition per fiscal year (start year → edition);
    /// choices of editions it does not have are left out.
    pub fn with_year_choices(&self, choices: &[(i32, crate::EditionId)]) -> Catalog {
        let mut c = self.clone();
        c.year_choices = choices
            .iter()
            .filter(|(_, e)| c.editions.iter().any(|x| x.id == *e))
            .cloned()
            .collect();
        c
    }

    /// The edition chosen for a fiscal year, if the organisation started that year.
    pub fn year_choice(&self, fy: FiscalYear) -> Option<&str> {
        self.year_choices.get(&fy.start_year()).map(|e| e.as_str())
    }

    fn validate(&self) -> Result<(), CatalogError> {
        let bad = |m: String| Err(CatalogError::Invalid(m));
        let edition_ids: HashSet<&str> = self.editions.iter().map(|e| e.id.as_str()).collect();
        let mut seen_forms = HashSet::new();
        for form in &self.forms {
            if !edition_ids.contains(form.edition.as_str()) {
                return bad(format!(
                    "様式 {} の版が editions.toml にありません",
                    form.edition
                ));
            }
            if !seen_forms.insert((form.edition.clone(), form.variant)) {
                return bad(format!(
                    "{} {} が重複しています",
                    form.edition, form.variant
                ));
            }
            let mut keys = HashSet::new();
            for item in &form.items {
                if !keys.insert(item.key.as_str()) {
                    return bad(format!("{} が重複しています", item.id));
                }
                if item.text.trim().is_empty() || item.targets.is_empty() {
                    return bad(format!("{} の文言または対象がありません", item.id));
                }
                if !self.sections.contains_key(&item.section)
                    && !form.section_titles.contains_key(&item.section)
                {
                    return bad(format!("{} の区分 {} が不明です", item.id, item.section));
                }
                if item.section != "2" && item.targets.iter().any(|t| t.group != Target::General) {
                    return bad(format!("{}: 区分2以外の項目は全般のみです", item.id));
                }
                if item.gate && (form.variant == Variant::Vendor || item.section != "gate") {
                    return bad(format!("{}: 有無の項目の位置が不正です", item.id));
                }
            }
            // An imported form without the gate item is still usable (its preview says the item is missing).
            if form.variant != Variant::Vendor
                && form.gate_item().is_none()
                && !self.is_imported(&form.edition)
            {
                return bad(format!(
                    "{} {} に有無の項目がありません",
                    form.edition, form.variant
                ));
            }
        }
        for m in &self.maps {
            for variant in Variant::ALL {
                let (from, to) = match (self.form(&m.from, variant), self.form(&m.to, variant)) {
                    (Some(f), Some(t)) => (f, t),
                    (None, None) => continue,
                    _ => return bad(format!("対応表 {}→{} の版がありません", m.from, m.to)),
                };
                for item in &from.items {
                    match m.items.get(&item.key) {
                        Some(k) => match to.item_by_key(k) {
                            Some(t) if t.topic == item.topic => {}
                            Some(_) => {
                                return bad(format!(
                                    "対応表: {} と {} の話題が異なります",
                                    item.id, k
                                ));
                            }
                            None => {
                                return bad(format!(
                                    "対応表: {} の移行先 {k} がありません",
                                    item.id
                                ));
                            }
                        },
                        None if m.removed.contains(&item.key) => {}
                        None => return bad(format!("対応表: {} の移行先がありません", item.id)),
                    }
                }
                for item in &to.items {
                    let mapped = m.items.values().any(|k| *k == item.key);
                    if !mapped && !m.added.contains(&item.key) {
                        return bad(format!(
                            "対応表: {} の移行元がなく、追加にもありません",
                            item.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn editions(&self) -> &[Edition] {
        &self.editions
    }
    pub fn edition(&self, id: &str) -> Result<&Edition, CatalogError> {
        self.editions
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| CatalogError::UnknownEdition(id.to_string()))
    }
    pub fn forms(&self) -> &[Form] {
        &self.forms
    }
    pub fn form(&self, edition: &str, variant: Variant) -> Option<&Form> {
        self.forms
            .iter()
            .find(|f| f.edition == edition && f.variant == variant)
    }
    /// The 事業者確認用 that goes with `edition`: its own, or else the newest earlier edition's (an
    /// organisation may confirm a new edition's merged facility form before its vendor workbook, and
    /// vendors keep answering the form they have until then).
    pub fn vendor_form_for(&self, edition: &str) -> Result<&Form, CatalogError> {
        let fy = self.edition(edition)?.fiscal_year;
        if let Some(f) = self.form(edition, Variant::Vendor) {
            return Ok(f);
        }
        self.editions
            .iter()
            .filter(|e| e.fiscal_year <= fy && e.id != edition)
            .filter_map(|e| Some((e.fiscal_year, self.form(&e.id, Variant::Vendor)?)))
            .max_by_key(|(year, _)| *year)
            .map(|(_, f)| f)
            .ok_or_else(|| CatalogError::UnknownVariant(Variant::Vendor.to_string()))
    }

    pub fn require_form(&self, edition: &str, variant: Variant) -> Result<&Form, CatalogError> {
        self.edition(edition)?;
        self.form(edition, variant)
            .ok_or_else(|| CatalogError::UnknownVariant(variant.to_string()))
    }
    pub fn maps(&self) -> &[EditionMap] {
        &self.maps
    }
    /// The item of the next edition that `item_id` became, if any.
    pub fn successor(&self, item_id: &str) -> Option<crate::ItemId> {
        let mut parts = item_id.splitn(3, '.');
        let (ed, variant, key) = (parts.next()?, parts.next()?, parts.next()?);
        if let Some(m) = self.maps.iter().find(|m| m.from == ed) {
            return m
                .items
                .get(key)
                .map(|k| format!("{}.{}.{}", m.to, variant, k).into());
        }
        self.links
            .iter()
            .find(|(from, _)| from == item_id)
            .map(|(_, to)| to.clone())
    }
    pub fn section_title(&self, section: &str) -> &str {
        self.sections.get(section).map(String::as_str).unwrap_or("")
    }
    pub fn group_heading(&self, t: Target) -> &str {
        self.groups.get(t.id()).map(String::as_str).unwrap_or("")
    }
    pub fn gate_note(&self) -> &str {
        &self.gate_note
    }
    /// A section's title as `form` prints it.
    pub fn section_title_in<'a>(&'a self, form: &'a Form, section: &str) -> &'a str {
        form.section_titles
            .get(section)
            .map(String::as_str)
            .unwrap_or_else(|| self.section_title(section))
    }
    /// A section-2 group heading as `form` prints it.
    pub fn group_heading_in<'a>(&'a self, form: &'a Form, t: Target) -> &'a str {
        form.group_headings
            .get(t.id())
            .map(String::as_str)
            .unwrap_or_else(|| self.group_heading(t))
    }
    /// The gate item's note as `form` prints it.
    pub fn gate_note_in<'a>(&'a self, form: &'a Form) -> &'a str {
        form.gate_note.as_deref().unwrap_or(&self.gate_note)
    }
    /// The form a facility answers itself in an edition: the merged one, or its own kind's.
    pub fn own_form(&self, edition: &str, pharmacy: bool) -> Option<&Form> {
        self.forms
            .iter()
            .filter(|f| f.edition == edition && f.variant.serves_facility(pharmacy))
            .min_by_key(|f| f.variant == Variant::Merged)
    }

    /// The edition for a fiscal year: its own, or the newest older one (and say so, with what MHLW has
    /// published for that year and how to import it).
    pub fn edition_for(&self, fy: FiscalYear) -> Option<EditionChoice> {
        let chosen = self
            .year_choice(fy)
            .and_then(|id| self.editions.iter().find(|e| e.id == id));
        let newest = match chosen {
            Some(e) => e,
            None => self
                .editions
                .iter()
                .filter(|e| e.fiscal_year <= fy.start_year())
                .max_by_key(|e| e.fiscal_year)?,
        };
        let fallback_notice = (newest.fiscal_year < fy.start_year()).then(|| {
            let published = PUBLISHED
                .iter()
                .find(|(year, _)| *year == fy.start_year())
                .map_or_else(
                    || "公式の様式が公表されたら、".to_string(),
                    |(_, what)| format!("厚生労働省は{what}を公表しています。"),
                );
            format!(
                "{}の版はまだ取り込まれていないため、{}を使用しています。{published}「版の取り込み」画面で公式の Excel を取り込むと、{}の様式で確認できます。",
                fy.label(),
                newest.name,
                fy.label()
            )
        });
        Some(EditionChoice {
            edition: newest.id.clone(),
            fiscal_year: fy,
            fallback_notice,
        })
    }

    /// The fiscal year being checked with an edition: its own year, or the current one when it is the
    /// newest edition and still in use in a later year.
    pub fn fiscal_year_of(
        &self,
        edition: &str,
        today: chrono::NaiveDate,
    ) -> Result<FiscalYear, CatalogError> {
        let e = self.edition(edition)?;
        let current = FiscalYear::containing(today);
        let newest = self
            .editions
            .iter()
            .map(|e| e.fiscal_year)
            .max()
            .unwrap_or(e.fiscal_year);
        let this_year = self.year_choice(current);
        // The organisation's own choice: the latest year, up to this one, it answered this edition in;
        // but the newest edition, while this year is not started yet, stays with the calendar.
        if let Some((year, _)) = self
            .year_choices
            .iter()
            .rev()
            .find(|(y, id)| **y <= current.start_year() && id.as_str() == edition)
            && (*year == current.start_year() || this_year.is_some() || e.fiscal_year != newest)
        {
            return Ok(FiscalYear::new(*year));
        }
        if this_year.is_some() && e.fiscal_year < current.start_year() {
            // This year runs on another edition: this one is the year it was made for.
            return Ok(FiscalYear::new(e.fiscal_year));
        }
        if e.fiscal_year == newest && current.start_year() > newest {
            Ok(current)
        } else {
            Ok(FiscalYear::new(e.fiscal_year))
        }
    }
}

#[cfg(test)]
mod tests;
