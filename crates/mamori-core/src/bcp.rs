//! MHLW's 「サイバー攻撃を想定した事業継続計画（BCP）策定の確認表」 as a second catalog: its items under their
//! 大項目, each text with the reference's confidence (C texts are shown as unverified), and the evidence
//! rule that reads the facility's ledgers for it. Answered like the checklist: はい／いいえ, 確認日, 備考.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, Confidence};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpHeading {
    pub key: String,
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
    pub text: String,
    pub confidence: Confidence,
    #[serde(default)]
    pub evidence: Option<BcpEvidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcpCatalog {
    pub id: String,
    pub title: String,
    pub title_confidence: Confidence,
    pub published: String,
    pub source: String,
    pub purpose: String,
    pub purpose_confidence: Confidence,
    #[serde(rename = "heading")]
    pub headings: Vec<BcpHeading>,
    #[serde(rename = "item")]
    pub items: Vec<BcpItem>,
}

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
        let headings: HashSet<&str> = self.headings.iter().map(|h| h.key.as_str()).collect();
        let mut keys = HashSet::new();
        for i in &self.items {
            if !keys.insert(i.key.as_str()) {
                return Err(CatalogError::Invalid(format!(
                    "BCP確認表 {} が重複しています",
                    i.key
                )));
            }
            if !headings.contains(i.heading.as_str()) || i.text.trim().is_empty() {
                return Err(CatalogError::Invalid(format!(
                    "BCP確認表 {} の大項目または文言がありません",
                    i.key
                )));
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

    /// The 大項目 with their items, in the table's order.
    pub fn sections(&self) -> Vec<(&BcpHeading, Vec<&BcpItem>)> {
        self.headings
            .iter()
            .map(|h| {
                (
                    h,
                    self.items.iter().filter(|i| i.heading == h.key).collect(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_loads_with_its_texts_and_confidence() {
        let c = BcpCatalog::builtin().unwrap();
        assert_eq!(c.id, "bcp2024");
        assert_eq!(
            c.item("1-2-1").unwrap().text,
            "インシデント発生時における組織内と外部関係機関（事業者、厚生労働省、警察等）への連絡体制図が整備できているか。"
        );
        assert_eq!(
            c.item("1-2-1").unwrap().evidence,
            Some(BcpEvidence::ContactChart)
        );
        // What the reference did not retrieve is marked unverified.
        assert!(c.item("1-2-4").unwrap().confidence.is_unverified());
        assert!(!c.item("1-1-1").unwrap().confidence.is_unverified());
        let sections = c.sections();
        assert_eq!(sections[0].0.key, "1-1");
        assert_eq!(sections[0].1.len(), 4);
        assert!(sections.iter().all(|(_, items)| !items.is_empty()));
    }

    #[test]
    fn a_duplicate_key_is_refused() {
        let mut c = BcpCatalog::builtin().unwrap();
        let first = c.items[0].clone();
        c.items.push(first);
        assert!(c.validate().is_err());
    }
}
