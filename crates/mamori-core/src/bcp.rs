//! MHLW's 「サイバー攻撃を想定した事業継続計画（BCP）策定の確認表」 as a second catalog: its items under their
//! 大項目, each text with the reference's confidence (C texts are shown as unverified), and the evidence
//! rule that reads the facility's ledgers for it. Answered like the checklist: はい／いいえ, 確認日, 備考.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, Confidence};

/// One of the table's five steps (項番 1–5: 平時・検知・初動対応・復旧処理・事後対応).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpStep {
    pub no: String,
    pub name: String,
    pub name_confidence: Confidence,
    /// The step's row text as the 確認表 prints it; empty where it was not seen.
    #[serde(default)]
    pub text: String,
    pub text_confidence: Confidence,
    /// Whether the reference cannot tell if more sub-items or rows follow the last one known.
    #[serde(default)]
    pub more_unknown: bool,
}

/// A sub-item (項番 `1-1`, `2-3` …) with its 大項目.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpHeading {
    pub key: String,
    /// The step's `no`.
    pub step: String,
    /// Empty where the text was not seen (a gap).
    #[serde(default)]
    pub text: String,
    pub confidence: Confidence,
    /// Only the start of the text was seen.
    #[serde(default)]
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpNote {
    pub text: String,
    pub confidence: Confidence,
}

/// What in the ledgers speaks to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BcpEvidence {
    /// 機器台帳 kept (the checklist's 2(1) rule).
    DeviceLedger,
    /// Patches applied (2(6)'s rule).
    Patches,
    /// 外部連絡リスト (3(1)'s rule).
    ContactChart,
    /// バックアップ台帳 (3(2)'s rule).
    Backup,
    /// 訓練記録: a BCP exercise within the year.
    Exercises,
    /// 機器台帳's 復旧優先順位: the systems whose stop matters, marked.
    CriticalSystems,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpItem {
    /// `1-1-1`
    pub key: String,
    /// The 大項目's key.
    pub heading: String,
    /// Empty where the text was not seen (a gap, shown as 「未確認」 without words).
    #[serde(default)]
    pub text: String,
    pub confidence: Confidence,
    /// Only the start of the text was seen.
    #[serde(default)]
    pub partial: bool,
    #[serde(default)]
    pub evidence: Option<BcpEvidence>,
}

impl BcpItem {
    /// Whether the whole text is MHLW's as seen (A): only such rows decide anything (3(3)'s suggestion).
    pub fn is_verified(&self) -> bool {
        !self.partial && !self.text.is_empty() && self.confidence == Confidence::A
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpCatalog {
    pub id: String,
    pub title: String,
    pub title_confidence: Confidence,
    pub published: String,
    pub source: String,
    /// The table's column headers as printed.
    pub columns: Vec<String>,
    #[serde(rename = "note")]
    pub notes: Vec<BcpNote>,
    #[serde(rename = "step")]
    pub steps: Vec<BcpStep>,
    #[serde(rename = "heading")]
    pub headings: Vec<BcpHeading>,
    #[serde(rename = "item")]
    pub items: Vec<BcpItem>,
}

/// A sub-item with its rows.
pub type HeadingRows<'a> = (&'a BcpHeading, Vec<&'a BcpItem>);

const BCP_2024: &str = include_str!("../catalog/bcp-2024.toml");

impl BcpCatalog {
    /// The 確認表 built into this binary, validated.
    pub fn builtin() -> Result<BcpCatalog, CatalogError> {
        let c: BcpCatalog = toml::from_str(BCP_2024).map_err(|e| CatalogError::Parse {
            file: "bcp-2024.toml".into(),
            message: e.to_string(),
        })?;
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), CatalogError> {
        let bad = |m: String| Err(CatalogError::Invalid(m));
        let steps: HashSet<&str> = self.steps.iter().map(|s| s.no.as_str()).collect();
        for h in &self.headings {
            if !steps.contains(h.step.as_str()) {
                return bad(format!("BCP確認表 {} の段階がありません", h.key));
            }
        }
        let headings: HashSet<&str> = self.headings.iter().map(|h| h.key.as_str()).collect();
        let mut keys = HashSet::new();
        for i in &self.items {
            if !keys.insert(i.key.as_str()) {
                return bad(format!("BCP確認表 {} が重複しています", i.key));
            }
            if !headings.contains(i.heading.as_str()) {
                return bad(format!("BCP確認表 {} の大項目がありません", i.key));
            }
            // A text we have must be sourced; a gap must stay a gap (no words of ours).
            if i.text.trim().is_empty() != (i.confidence == Confidence::C && !i.partial) {
                return bad(format!(
                    "BCP確認表 {}: 文言は出典のあるもの（A/B）だけを載せ、未確認（C）は空にします",
                    i.key
                ));
            }
        }
        Ok(())
    }

    pub fn item(&self, key: &str) -> Option<&BcpItem> {
        self.items.iter().find(|i| i.key == key)
    }

    pub fn heading(&self, key: &str) -> Option<&BcpHeading> {
        self.headings.iter().find(|h| h.key == key)
    }

    /// The steps, each with its sub-items and their rows, in the table's order.
    pub fn steps(&self) -> Vec<(&BcpStep, Vec<HeadingRows<'_>>)> {
        self.steps
            .iter()
            .map(|s| {
                let headings = self
                    .headings
                    .iter()
                    .filter(|h| h.step == s.no)
                    .map(|h| {
                        (
                            h,
                            self.items.iter().filter(|i| i.heading == h.key).collect(),
                        )
                    })
                    .collect();
                (s, headings)
            })
            .collect()
    }

    /// The rows whose whole text is MHLW's as seen: what 3(3)'s suggestion reads.
    pub fn verified_items(&self) -> impl Iterator<Item = &BcpItem> {
        self.items.iter().filter(|i| i.is_verified())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_has_the_five_steps_and_the_real_numbers() {
        let c = BcpCatalog::builtin().unwrap();
        assert_eq!(c.id, "bcp2024");
        assert_eq!(c.columns, ["項番", "大項目", "確認項目"]);
        let steps: Vec<(&str, &str)> = c
            .steps
            .iter()
            .map(|s| (s.no.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                ("1", "平時"),
                ("2", "検知"),
                ("3", "初動対応"),
                ("4", "復旧処理"),
                ("5", "事後対応")
            ]
        );
        let keys: Vec<&str> = c.headings.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "1-1", "1-2", "2-1", "2-2", "2-3", "3-1", "3-2", "3-3", "3-4", "4-1", "4-2", "5-1",
                "5-2", "5-3", "5-4", "5-5", "5-6"
            ]
        );
        assert_eq!(
            c.item("1-2-4").unwrap().text,
            "バックアップの実施と復旧手順が確認できているか。"
        );
        assert_eq!(
            c.item("1-2-1").unwrap().evidence,
            Some(BcpEvidence::ContactChart)
        );
        // Gaps carry no words; the partial 3-1 row is not verified.
        for key in ["2-1-1", "2-2-1", "3-2-1", "3-3-1", "5-1-1", "5-6-1"] {
            let i = c.item(key).unwrap();
            assert!(i.text.is_empty() && !i.is_verified(), "{key}");
        }
        assert!(!c.item("3-1-1").unwrap().is_verified());
        assert_eq!(c.verified_items().count(), 16);
        let sections = c.steps();
        assert_eq!(sections[0].1[0].1.len(), 4);
        assert_eq!(sections[0].1[1].1.len(), 4);
    }

    #[test]
    fn a_duplicate_key_or_a_worded_gap_is_refused() {
        let mut c = BcpCatalog::builtin().unwrap();
        let first = c.items[0].clone();
        c.items.push(first);
        assert!(c.validate().is_err());
        let mut c = BcpCatalog::builtin().unwrap();
        let gap = c.items.iter_mut().find(|i| i.key == "2-1-1").unwrap();
        gap.text = "インシデント発生時の初動対応の手順が整備できているか。".into();
        assert!(c.validate().is_err());
    }
}
