//! The words of the official workbooks: numbers ((1), ①, 1-①), section and target headings, notes,
//! header fields, the form's kind, and what each column of the answer table is.

use super::*;

/// Half-width, no spaces: the form in which headings and labels are compared.
pub(super) fn key_text(s: &str) -> String {
    mamori_ledger::values::half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '―' | '‐' | '−' | '－' => '-',
            _ => c,
        })
        .collect()
}

pub(super) const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";

pub(super) fn circled(c: char) -> Option<u32> {
    CIRCLED.chars().position(|x| x == c).map(|p| p as u32 + 1)
}

/// An item number as printed: `(3)`, `①`, `1-①`, `2(3)`, `2-(3)`. Returns (section, number).
pub fn parse_number(s: &str) -> Option<(Option<String>, u32)> {
    // 「１ー①」: a long-vowel mark typed for the dash.
    let k = key_text(s).replace('ー', "-");
    let k = k.trim_end_matches(['.', '．']);
    if k.is_empty() {
        return None;
    }
    let digits: String = k.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &k[digits.len()..];
    let (section, rest) = if digits.is_empty() {
        (None, rest)
    } else {
        (Some(digits), rest.strip_prefix('-').unwrap_or(rest))
    };
    let n = if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        inner.parse::<u32>().ok()?
    } else {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => circled(c)?,
            _ => return None,
        }
    };
    (n > 0).then_some((section, n))
}

/// A leading number in an item's cell, e.g. 「(1) 医療情報…」 or 「①医療情報…」: (number, rest).
pub(super) fn split_number_prefix(s: &str) -> Option<(&str, &str)> {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    // 「(1)」 or 「１－①」 followed by a space; or a circled number / closing parenthesis followed by text.
    let candidates = [
        Some(end),
        t.char_indices()
            .find(|(_, c)| circled(*c).is_some() || *c == ')' || *c == '）')
            .map(|(i, c)| i + c.len_utf8()),
    ];
    for end in candidates.into_iter().flatten() {
        let (num, rest) = t.split_at(end);
        if parse_number(num).is_some() && !rest.trim().is_empty() {
            return Some((num.trim(), rest.trim_start()));
        }
    }
    None
}

/// A section heading: 「1 体制構築」, 「２．医療情報システムの管理・運用」, 「医療情報システムの有無」.
pub(super) fn parse_section(s: &str) -> Option<String> {
    let k = key_text(s);
    if k == "医療情報システムの有無" {
        return Some("gate".into());
    }
    let digits: String = k.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let rest = k[digits.len()..].trim_start_matches(['.', '．', '、', ',']);
    let first = rest.chars().next()?;
    let plain = !first.is_ascii_digit() && !"(-".contains(first) && circled(first).is_none();
    (plain && !rest.ends_with('。') && rest.chars().count() <= 40 && !s.contains('\n'))
        .then_some(digits)
}

/// A target-group heading (「サーバについて、以下を実施している。」) or a target cell (「端末PC」).
pub(super) fn parse_target(s: &str) -> Option<Target> {
    let k = key_text(s);
    let heading = k.contains("について") && k.contains("以下");
    let label = k.chars().count() <= 12;
    if !heading && !label {
        return None;
    }
    let pick = if k.starts_with("サーバ") {
        Target::Server
    } else if k.starts_with("端末") {
        Target::Terminal
    } else if k.starts_with("ネットワーク") {
        Target::Network
    } else if k.contains("全般") {
        Target::General
    } else {
        return None;
    };
    Some(pick)
}

pub(super) fn is_note(s: &str) -> bool {
    s.trim_start().starts_with(['＊', '*', '※'])
}

/// A form note without its leading ＊ or * (※ stays: it belongs to the text).
pub(super) fn note_text(s: &str) -> String {
    let t = s.trim();
    t.strip_prefix('＊')
        .or_else(|| t.strip_prefix('*'))
        .unwrap_or(t)
        .trim_start()
        .to_string()
}

pub(super) const FIELD_LABELS: &[&str] = &[
    "医療機関・薬局名",
    "医療機関等名",
    "医療機関名",
    "薬局名",
    "施設名",
    "事業者名",
    "記入者名",
    "記入者",
    "確認者",
    "担当者",
    "確認日",
    "作成日",
    "記入日",
    "所在地",
];

/// The variant a text names, if any.
pub(super) fn variant_in(s: &str) -> Option<Variant> {
    let k = key_text(s);
    if k.contains("事業者確認用") {
        Some(Variant::Vendor)
    } else if k.contains("医療機関・薬局確認用") || k.contains("医療機関等確認用")
    {
        Some(Variant::Merged)
    } else if k.contains("薬局確認用") {
        Some(Variant::Pharmacy)
    } else if k.contains("医療機関確認用") {
        Some(Variant::Facility)
    } else {
        None
    }
}

pub(super) fn variant_of_title(title: &str) -> Option<Variant> {
    let k = key_text(title);
    if k.contains("医療機関・薬局") || k.contains("医療機関等における") {
        Some(Variant::Merged)
    } else if k.starts_with("薬局") {
        Some(Variant::Pharmacy)
    } else if k.starts_with("医療機関") {
        Some(Variant::Facility)
    } else {
        None
    }
}

/// The kind of an answer-table column, read from its heading cells (the lowest heading first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Col {
    Result(u8),
    /// A column headed just 「いいえ」 beside one headed 「はい」.
    No(u8),
    Date(u8),
    TargetDate(u8),
    Note,
    Text,
    Number,
    Other,
}

pub(super) fn round_in(s: &str) -> Option<u8> {
    let k = key_text(s);
    let i = k.find("回目")?;
    k[..i].chars().last()?.to_digit(10).map(|d| d as u8)
}

pub(super) fn classify_column(headings: &[String]) -> Col {
    let round = headings.iter().find_map(|h| round_in(h)).unwrap_or(1);
    for h in headings.iter().rev() {
        let k = key_text(h);
        if k.is_empty() {
            continue;
        }
        if k.contains("備考") {
            return Col::Note;
        }
        if k.contains("目標") {
            return Col::TargetDate(round);
        }
        if k == "いいえ" {
            return Col::No(round);
        }
        if k.contains("結果") || k.contains("回答") || k.contains("はい") {
            return Col::Result(round);
        }
        if k.contains("日付") || k.contains("確認日") {
            return Col::Date(round);
        }
        if k.contains("項目") || k.contains("内容") {
            return Col::Text;
        }
        if k == "No" || k == "No." || k.contains("番号") || k.contains("項番") {
            return Col::Number;
        }
    }
    if headings.iter().any(|h| round_in(h).is_some()) {
        return Col::Result(round);
    }
    Col::Other
}

/// Words of a heading row of the answer table.
pub(super) const HEADER_WORDS: &[&str] = &[
    "確認結果",
    "チェック項目",
    "確認項目",
    "回目",
    "備考",
    "目標日",
    "回答",
];
/// Words of the rows under it (round numbers, sub-columns).
pub(super) const SUB_HEADER_WORDS: &[&str] = &[
    "回目",
    "日付",
    "確認日",
    "目標日",
    "結果",
    "はい",
    "いいえ",
    "回答",
    "備考",
];

pub(super) fn header_score(grid: &Grid, r: u32) -> usize {
    (0..grid.width)
        .filter(|c| {
            let t = grid.text(r, *c);
            t.chars().count() <= 20 && HEADER_WORDS.iter().any(|w| key_text(t).contains(w))
        })
        .count()
}

pub(super) fn is_sub_header(grid: &Grid, r: u32) -> bool {
    let texts: Vec<&str> = (0..grid.width)
        .map(|c| grid.text(r, c))
        .filter(|t| !t.trim().is_empty())
        .collect();
    !texts.is_empty()
        && texts.iter().all(|t| {
            t.chars().count() <= 16 && SUB_HEADER_WORDS.iter().any(|w| key_text(t).contains(w))
        })
}
