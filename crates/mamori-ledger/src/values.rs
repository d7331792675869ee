//! Values as people type them in Excel: full-width letters and digits, dates in many styles (和暦
//! included), yes/no words. Each is normalised or refused with a Japanese reason.

use chrono::NaiveDate;

use crate::fields::{Field, FieldType};

/// Full-width ASCII to half-width, the ideographic space to a space.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// The form of a header used to match it: half-width, no spaces, ASCII lower case, ー/－ alike.
pub fn header_key(s: &str) -> String {
    half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ー' | '―' | '‐' | '−' => '-',
            '（' => '(',
            '）' => ')',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Eras of 和暦 dates, newest first: (names, first day).
const ERAS: &[(&[&str], i32, u32, u32)] = &[
    (&["令和", "R"], 2019, 5, 1),
    (&["平成", "H"], 1989, 1, 8),
    (&["昭和", "S"], 1926, 12, 25),
];

/// 2025-05-20, 2025/5/20, 2025.5.20, 2025年5月20日, 令和7年5月20日, 令和元年5月1日, R7.5.20, R7/5/20.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = half_width(s.trim()).replace(' ', "");
    let t = t.as_str();
    let (era, rest) = ERAS
        .iter()
        .find_map(|(names, y, m, d)| {
            names.iter().find_map(|n| {
                t.strip_prefix(n)
                    .or_else(|| t.strip_prefix(&n.to_ascii_lowercase()))
                    .map(|r| (Some((*y, NaiveDate::from_ymd_opt(*y, *m, *d))), r))
            })
        })
        .unwrap_or((None, t));
    let rest = rest.replacen("元", "1", 1);
    let parts: Vec<&str> = rest
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if ![y, m, d]
        .iter()
        .all(|p| p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 4)
    {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    match era {
        None if y >= 1900 => NaiveDate::from_ymd_opt(y, m, d),
        None => None,
        Some((first_year, first_day)) => {
            if y == 0 {
                return None;
            }
            let date = NaiveDate::from_ymd_opt(first_year + y - 1, m, d)?;
            (Some(date) >= first_day).then_some(date)
        }
    }
}

/// Other words for the canonical choices.
fn choice_synonym(s: &str) -> &str {
    match s {
        "yes" | "y" | "○" | "〇" | "true" | "1" | "有り" | "あり" | "有効" => "はい",
        "no" | "n" | "×" | "false" | "0" | "無し" | "なし" | "無効化" => "いいえ",
        _ => s,
    }
}

/// Characters of a cell's value quoted in a message (a refused cell may hold 32,767).
const QUOTED: usize = 64;

/// The normalised value of one cell, or the reason it cannot be taken. Empty cells give `Ok(None)`.
pub fn normalise(field: &Field, raw: &str) -> Result<Option<String>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return if field.required {
            Err(format!("「{}」は必須です", field.header))
        } else {
            Ok(None)
        };
    }
    match field.ty {
        FieldType::Text | FieldType::Code => Ok(Some(v.to_string())),
        FieldType::Date => parse_date(v)
            .map(|d| Some(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| {
                format!(
                    "日付「{}」を読み取れません（例：2025-05-20、令和7年5月20日）",
                    crate::xlsx_guard::clip(v, QUOTED)
                )
            }),
        FieldType::Choice(options) => {
            let h = half_width(v);
            if let Some(o) = options.iter().find(|o| **o == h) {
                return Ok(Some(o.to_string()));
            }
            let lower = h.to_ascii_lowercase();
            let syn = choice_synonym(&lower);
            // 「はい/いいえ」 choices take yes/no words; 「有/無」 choices take them as 有/無.
            let mapped = match (syn, options.contains(&"有")) {
                ("はい", true) => "有",
                ("いいえ", true) => "無",
                (s, _) => s,
            };
            let mapped = match (mapped, options.contains(&"使用可")) {
                ("はい", true) | ("有効", true) => "使用可",
                (s, _) => s,
            };
            options
                .iter()
                .find(|o| **o == mapped)
                .map(|o| Some(o.to_string()))
                .ok_or_else(|| {
                    format!(
                        "「{}」は選べません（{} のいずれか）",
                        crate::xlsx_guard::clip(v, QUOTED),
                        options.join("／")
                    )
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Kind;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn dates_in_the_styles_offices_use() {
        for s in [
            "2025-05-20",
            "2025/5/20",
            "2025.05.20",
            "2025年5月20日",
            "令和7年5月20日",
            "R7.5.20",
            "r7/5/20",
            "２０２５／５／２０",
            " 令和 7年 5月 20日 ",
        ] {
            assert_eq!(parse_date(s), d(2025, 5, 20), "{s}");
        }
        assert_eq!(parse_date("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(parse_date("平成31年4月30日"), d(2019, 4, 30));
        assert_eq!(parse_date("令和元年4月30日"), None, "before 令和 began");
        for bad in [
            "2025-13-01",
            "5/20",
            "令和0年1月1日",
            "昨日",
            "2025-02-30",
            "99-1-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn choices_take_their_synonyms_and_refuse_the_rest() {
        let status = Kind::Accounts.field("status").unwrap();
        assert_eq!(normalise(status, "使用可").unwrap().unwrap(), "使用可");
        assert_eq!(normalise(status, "有効").unwrap().unwrap(), "使用可");
        assert!(
            normalise(status, "休職")
                .unwrap_err()
                .contains("使用可／無効／削除")
        );
        assert!(normalise(status, "").unwrap_err().contains("必須"));
        let mfa = Kind::Accounts.field("two_factor").unwrap();
        assert_eq!(normalise(mfa, "あり").unwrap().unwrap(), "有");
        assert_eq!(normalise(mfa, "").unwrap(), None);
        let admin = Kind::Accounts.field("admin").unwrap();
        assert_eq!(normalise(admin, "○").unwrap().unwrap(), "はい");
        assert_eq!(header_key("ユーザーＩＤ"), header_key("ユーザ-id"));
    }
}
