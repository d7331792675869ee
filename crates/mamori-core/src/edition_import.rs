//! Linking an imported edition to the previous one: which new item continues which old item (suggested from
//! numbers and text similarity, then confirmed by a person), what changed, and what the new items inherit
//! (topic, guidance, the 記入不要 rule) from the items they continue.

use crate::Topic;
use serde::{Deserialize, Serialize};

use crate::catalog::{Form, Item};

/// How an item of the new edition relates to the previous edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The same text (spacing and character width aside).
    Same,
    /// Continues an item whose text changed.
    Changed,
    /// No item of the previous edition.
    New,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::Same => "変更なし",
            Change::Changed => "文言の変更",
            Change::New => "新しい項目",
        }
    }
}

/// A suggested (or confirmed) link of one new item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The new form's item key.
    pub key: String,
    /// The previous form's item id it continues.
    pub previous: Option<crate::ItemId>,
    /// Text similarity with that item, 0–1.
    pub similarity: f64,
    pub change: Change,
}

/// Text as compared: half-width, no spaces, no trailing 。.
pub fn normalized(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect::<String>()
        .trim_end_matches('。')
        .to_string()
}

/// Dice coefficient of character bigrams: 1 for equal texts, 0 for texts sharing no pair of characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normalized(a), normalized(b));
    if a == b {
        return 1.0;
    }
    let grams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, mut gb) = (grams(&a), grams(&b));
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    let total = (ga.len() + gb.len()) as f64;
    let mut shared = 0usize;
    for g in &ga {
        if let Some(pos) = gb.iter().position(|x| x == g) {
            gb.swap_remove(pos);
            shared += 1;
        }
    }
    2.0 * shared as f64 / total
}

/// Below this similarity an item is not suggested as the continuation of another.
pub const LINK_THRESHOLD: f64 = 0.45;

/// Suggests, for every item of `new`, the item of `prev` it continues: the best pair first (text
/// similarity, with a small preference for the same number and section), each old item used once.
pub fn suggest_links(prev: &Form, new: &Form) -> Vec<Link> {
    let mut pairs: Vec<(f64, f64, usize, usize)> = Vec::new();
    for (ni, n) in new.items.iter().enumerate() {
        for (pi, p) in prev.items.iter().enumerate() {
            let sim = if n.gate && p.gate {
                1.0
            } else {
                similarity(&n.text, &p.text)
            };
            let bonus = if p.section == n.section && p.key == n.key {
                0.1
            } else {
                0.0
            };
            if sim + bonus >= LINK_THRESHOLD {
                pairs.push((sim + bonus, sim, ni, pi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
    let mut chosen: Vec<Option<(usize, f64)>> = vec![None; new.items.len()];
    let mut used = vec![false; prev.items.len()];
    for (_, sim, ni, pi) in pairs {
        if chosen[ni].is_none() && !used[pi] {
            chosen[ni] = Some((pi, sim));
            used[pi] = true;
        }
    }
    new.items
        .iter()
        .zip(chosen)
        .map(|(n, c)| link_for(n, c.map(|(pi, sim)| (&prev.items[pi], sim))))
        .collect()
}

/// The link of `item` to `previous` (or to nothing), with its similarity and kind of change.
pub fn link_for(item: &Item, previous: Option<(&Item, f64)>) -> Link {
    match previous {
        Some((p, sim)) => Link {
            key: item.key.clone(),
            previous: Some(p.id.clone()),
            similarity: sim,
            change: if normalized(&p.text) == normalized(&item.text) {
                Change::Same
            } else {
                Change::Changed
            },
        },
        None => Link {
            key: item.key.clone(),
            previous: None,
            similarity: 0.0,
            change: Change::New,
        },
    }
}

/// Items of `prev` that no new item continues.
pub fn removed<'a>(prev: &'a Form, links: &[Link]) -> Vec<&'a Item> {
    prev.items
        .iter()
        .filter(|p| !links.iter().any(|l| l.previous.as_deref() == Some(&p.id)))
        .collect()
}

/// What the new items inherit from the items they continue: topic, guidance (labelled with the edition
/// it was written for, `prev_name`; advice a later guideline withdrew is replaced where it is shown, by
/// `Catalog::guidance`) and the 記入不要 rule.
pub fn inherit(form: &mut Form, prev: Option<&Form>, prev_name: &str, links: &[Link]) {
    for item in &mut form.items {
        let p = links
            .iter()
            .find(|l| l.key == item.key)
            .and_then(|l| l.previous.as_deref())
            .and_then(|id| prev.and_then(|f| f.item(id)));
        match p {
            Some(p) => {
                item.topic = p.topic;
                item.guidance = p.guidance.clone();
                item.guidance_sources = p.guidance_sources.clone();
                item.guidance_edition = if p.guidance_edition.is_empty() {
                    prev_name.to_string()
                } else {
                    p.guidance_edition.clone()
                };
                item.vendor_contract_only = p.vendor_contract_only;
            }
            None => {
                item.topic = if item.gate { Topic::Gate } else { Topic::New };
                item.guidance.clear();
                item.guidance_sources.clear();
                item.guidance_edition.clear();
                item.vendor_contract_only = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Variant};

    #[test]
    fn similarity_ignores_width_and_spacing() {
        assert_eq!(
            similarity(
                "アクセスログを管理している。",
                "アクセスログを 管理している"
            ),
            1.0
        );
        assert_eq!(similarity("ＵＳＢ", "USB"), 1.0);
        assert!(
            similarity(
                "パスワードの使い回しを禁止している。",
                "接続元制限を実施している。"
            ) < 0.45
        );
        let s = similarity(
            "利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定している。",
            "利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定し、管理者権限の対象者を明確にしている。",
        );
        assert!(s > 0.6 && s < 1.0, "{s}");
        assert_eq!(similarity("", "a"), 0.0);
    }

    #[test]
    fn r6_to_r7_links_follow_texts_not_numbers() {
        let c = Catalog::builtin().unwrap();
        let r6 = c.form("r6", Variant::Facility).unwrap();
        let r7 = c.form("r7", Variant::Facility).unwrap();
        let links = suggest_links(r6, r7);
        let of = |k: &str| links.iter().find(|l| l.key == k).unwrap();
        // R7 renumbered: (6) is the patch item, which was (7) in R6.
        assert_eq!(of("2.6").previous.as_deref(), Some("r6.facility.2.7"));
        assert_eq!(of("2.6").change, Change::Same);
        assert_eq!(of("2.4").previous.as_deref(), Some("r6.facility.2.4"));
        assert_eq!(of("2.4").change, Change::Changed);
        assert_eq!(of("gate").previous.as_deref(), Some("r6.facility.gate"));
        assert_eq!(of("2.8").change, Change::New, "password reuse is new in R7");
        // The built-in mapping agrees with every suggestion that has a predecessor.
        for l in &links {
            if let Some(p) = &l.previous {
                assert_eq!(
                    c.successor(p).as_deref(),
                    Some(format!("r7.facility.{}", l.key).as_str()),
                    "{p}"
                );
            }
        }
        assert!(removed(r6, &links).is_empty());
    }

    #[test]
    fn new_items_inherit_from_what_they_continue() {
        let c = Catalog::builtin().unwrap();
        let r6 = c.form("r6", Variant::Facility).unwrap();
        let mut r7 = c.form("r7", Variant::Facility).unwrap().clone();
        for i in &mut r7.items {
            i.topic = Topic::New;
            i.guidance.clear();
            i.vendor_contract_only = false;
        }
        let links = suggest_links(r6, &r7);
        inherit(&mut r7, Some(r6), "令和6年度版", &links);
        let remote = r7.item_by_key("2.2").unwrap();
        assert!(remote.vendor_contract_only);
        assert_eq!(remote.topic, Topic::RemoteMaintenance);
        assert!(!remote.guidance.is_empty());
        assert_eq!(
            remote.guidance_edition, "令和6年度版",
            "labelled as the earlier manual's"
        );
        assert_eq!(r7.item_by_key("2.8").unwrap().topic, Topic::New);
    }

    #[test]
    fn withdrawn_advice_is_not_shown_once_guideline_7_is_in_force() {
        let c = Catalog::builtin().unwrap();
        let r7 = c.form("r7", Variant::Facility).unwrap();
        let password = r7
            .items
            .iter()
            .find(|i| i.topic == Topic::PasswordLength)
            .unwrap();
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let before = c.guidance(password, day(2025, 6, 1)).unwrap();
        assert!(
            before.text.contains("定期的に変更"),
            "the 令和7 item asks it"
        );
        assert!(before.label.starts_with("Mamori による解説"));
        // FY2026 on the R7 form (no 令和8年度 workbook imported), and an imported edition alike.
        let mut r8 = r7.clone();
        let links = suggest_links(r7, &r8);
        inherit(&mut r8, Some(r7), "令和7年度版", &links);
        for item in [
            password,
            r8.items
                .iter()
                .find(|i| i.topic == Topic::PasswordLength)
                .unwrap(),
        ] {
            let g = c.guidance(item, day(2026, 12, 7)).unwrap();
            assert!(!g.text.contains("定期的に変更"), "{}", g.text);
            assert!(g.text.contains("定期的な変更は求められなくなり"));
            assert!(g.text.contains("使い回しの禁止") && g.text.contains("ロック"));
            assert!(g.sources.contains("第7.0版"));
        }
        let two_factor = r7
            .items
            .iter()
            .find(|i| i.topic == Topic::TwoFactor)
            .unwrap();
        let g = c.guidance(two_factor, day(2026, 12, 7)).unwrap();
        assert!(g.text.contains("令和9年4月1日") && g.text.contains("システムごと"));
        let other = r8.items.iter().find(|i| i.topic == Topic::Backup).unwrap();
        assert_eq!(other.guidance_edition, "令和7年度版");
        let g = c.guidance(other, day(2026, 12, 7)).unwrap();
        assert!(
            g.label.contains("令和7年度版の項目について書いたもの"),
            "{}",
            g.label
        );
        assert!(!g.sources.contains(".xlsx"));
    }
}
