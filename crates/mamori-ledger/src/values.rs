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

/// The words offices write for each canonical choice (ASCII in lower case): (word, canonical). A word
/// applies to a column whose choices include its canonical word.
const WORDS: &[(&str, &str)] = &[
    // はい／いいえ
    ("yes", "はい"),
    ("y", "はい"),
    ("○", "はい"),
    ("〇", "はい"),
    ("◯", "はい"),
    ("true", "はい"),
    ("1", "はい"),
    ("有", "はい"),
    ("有り", "はい"),
    ("あり", "はい"),
    ("該当", "はい"),
    ("済", "はい"),
    ("no", "いいえ"),
    ("n", "いいえ"),
    ("×", "いいえ"),
    ("false", "いいえ"),
    ("0", "いいえ"),
    ("無", "いいえ"),
    ("無し", "いいえ"),
    ("なし", "いいえ"),
    ("非該当", "いいえ"),
    ("該当なし", "いいえ"),
    ("-", "いいえ"),
    ("－", "いいえ"),
    // 有／無／未確認
    ("有り", "有"),
    ("あり", "有"),
    ("はい", "有"),
    ("yes", "有"),
    ("○", "有"),
    ("〇", "有"),
    ("◯", "有"),
    ("済", "有"),
    ("対応済", "有"),
    ("導入済", "有"),
    ("設定済", "有"),
    ("無し", "無"),
    ("なし", "無"),
    ("いいえ", "無"),
    ("no", "無"),
    ("×", "無"),
    ("未対応", "無"),
    ("不明", "未確認"),
    ("確認中", "未確認"),
    ("要確認", "未確認"),
    ("わからない", "未確認"),
    ("?", "未確認"),
    ("?", "未確認"),
    // 利用者台帳 状態
    ("有効", "使用可"),
    ("使用中", "使用可"),
    ("利用中", "使用可"),
    ("利用可", "使用可"),
    ("在職", "使用可"),
    ("在籍", "使用可"),
    ("稼働", "使用可"),
    ("稼働中", "使用可"),
    ("運用中", "使用可"),
    ("active", "使用可"),
    ("enabled", "使用可"),
    ("はい", "使用可"),
    ("○", "使用可"),
    ("退職", "無効"),
    ("退職済", "無効"),
    ("退職済み", "無効"),
    ("休職", "無効"),
    ("休職中", "無効"),
    ("停止", "無効"),
    ("停止中", "無効"),
    ("利用停止", "無効"),
    ("使用停止", "無効"),
    ("一時停止", "無効"),
    ("休止", "無効"),
    ("無効化", "無効"),
    ("無効化済", "無効"),
    ("ロック", "無効"),
    ("ロック中", "無効"),
    ("凍結", "無効"),
    ("産休", "無効"),
    ("育休", "無効"),
    ("disabled", "無効"),
    ("inactive", "無効"),
    ("locked", "無効"),
    ("削除済", "削除"),
    ("削除済み", "削除"),
    ("廃止", "削除"),
    ("抹消", "削除"),
    ("deleted", "削除"),
    ("removed", "削除"),
    // 機器台帳 種別
    ("サーバー", "サーバ"),
    ("server", "サーバ"),
    ("サーバ機", "サーバ"),
    ("端末", "端末PC"),
    ("pc", "端末PC"),
    ("パソコン", "端末PC"),
    ("クライアント", "端末PC"),
    ("クライアントpc", "端末PC"),
    ("ノートpc", "端末PC"),
    ("デスクトップ", "端末PC"),
    ("タブレット", "端末PC"),
    ("ルータ", "ネットワーク機器"),
    ("ルーター", "ネットワーク機器"),
    ("スイッチ", "ネットワーク機器"),
    ("hub", "ネットワーク機器"),
    ("ハブ", "ネットワーク機器"),
    ("utm", "ネットワーク機器"),
    ("ファイアウォール", "ネットワーク機器"),
    ("vpn装置", "ネットワーク機器"),
    ("無線lan", "ネットワーク機器"),
    ("アクセスポイント", "ネットワーク機器"),
    ("ネットワーク", "ネットワーク機器"),
    ("モダリティ", "医療機器"),
    ("検査機器", "医療機器"),
    ("プリンタ", "その他"),
    ("プリンター", "その他"),
    ("複合機", "その他"),
    ("nas", "その他"),
    // ソフトウェア／サービス
    ("software", "ソフトウェア"),
    ("ソフト", "ソフトウェア"),
    ("アプリ", "ソフトウェア"),
    ("アプリケーション", "ソフトウェア"),
    ("service", "サービス"),
    ("両方", "どちらも"),
    ("both", "どちらも"),
    // 許可／禁止／要確認
    ("可", "許可"),
    ("ok", "許可"),
    ("allow", "許可"),
    ("allowed", "許可"),
    ("不可", "禁止"),
    ("ng", "禁止"),
    ("deny", "禁止"),
    ("forbidden", "禁止"),
    ("確認中", "要確認"),
    ("未確認", "要確認"),
    ("保留", "要確認"),
    ("review", "要確認"),
    // MDS／SDS
    ("mds/sds", "MDS・SDS"),
    ("mds,sds", "MDS・SDS"),
    ("mds、sds", "MDS・SDS"),
    ("mdsとsds", "MDS・SDS"),
    ("mds sds", "MDS・SDS"),
    ("両方", "MDS・SDS"),
    ("mds", "MDS"),
    ("sds", "SDS"),
    ("無", "なし"),
    ("無し", "なし"),
    ("未受領", "なし"),
    // 外部連絡リスト 区分
    ("行政", "公的機関"),
    ("警察", "公的機関"),
    ("保健所", "公的機関"),
    ("官公庁", "公的機関"),
    ("ベンダー", "事業者"),
    ("ベンダ", "事業者"),
    ("業者", "事業者"),
    ("委託先", "事業者"),
    ("保守業者", "事業者"),
    ("保守事業者", "事業者"),
    ("職員", "院内"),
    ("内部", "院内"),
    ("施設内", "院内"),
    ("薬局内", "院内"),
    // ログ確認の結果
    ("なし", "異常なし"),
    ("無し", "異常なし"),
    ("問題なし", "異常なし"),
    ("異常無し", "異常なし"),
    ("正常", "異常なし"),
    ("ok", "異常なし"),
    ("あり", "異常あり"),
    ("有り", "異常あり"),
    ("問題あり", "異常あり"),
    ("異常有り", "異常あり"),
    ("要対応", "異常あり"),
    ("ng", "異常あり"),
];

/// Columns whose words are kept as written (they say more than the canonical word: 退職 is 無効 with an
/// end date expected); the others store the canonical word.
const KEPT_AS_WRITTEN: &[&str] = &["status"];

/// The canonical choice a written word means in a column with these choices.
pub fn meaning(options: &'static [&'static str], written: &str) -> Option<&'static str> {
    let h = half_width(written.trim());
    if let Some(o) = options.iter().find(|o| **o == h) {
        return Some(o);
    }
    let lower = h.to_ascii_lowercase();
    options
        .iter()
        .copied()
        .find(|o| WORDS.iter().any(|(w, c)| c == o && *w == lower.as_str()))
}

/// The canonical meaning of a choice column's value in a row (「退職」 → 「無効」); None when empty.
pub fn row_meaning(field: &Field, row: &crate::Row) -> Option<&'static str> {
    let FieldType::Choice(options) = field.ty else {
        return None;
    };
    row.get(field.key).and_then(|v| meaning(options, v))
}

/// The words a column takes, canonical first (shown in a refusal).
pub fn accepted_words(options: &'static [&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = options.to_vec();
    for (w, c) in WORDS {
        if options.contains(c) && !out.contains(w) && !w.is_ascii() {
            out.push(w);
        }
    }
    out
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
    // Counted before anything else: a refused 200 MB cell must cost no more than this.
    let chars = v.chars().take(field.max_chars() + 1).count();
    if chars > field.max_chars() {
        return Err(format!(
            "長すぎます（{} 文字まで）。別のファイルの中身などが入っていないか確かめてください",
            field.max_chars()
        ));
    }
    if !field.multiline() && v.contains(['\n', '\r']) {
        return Err(
            "値が改行を含んでいます（この列は1行で書きます）。CSV なら、閉じていない「\"」が次の行以降を取り込んでいないか確かめてください"
                .into(),
        );
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
        FieldType::Choice(options) => match meaning(options, v) {
            Some(canonical) if KEPT_AS_WRITTEN.contains(&field.key) => {
                let h = half_width(v);
                Ok(Some(if h == canonical {
                    canonical.to_string()
                } else {
                    h
                }))
            }
            Some(canonical) => Ok(Some(canonical.to_string())),
            None => {
                let others: Vec<&str> = accepted_words(options)
                    .into_iter()
                    .filter(|w| !options.contains(w))
                    .collect();
                Err(format!(
                    "「{}」は選べません（{} のいずれか。{}も使えます）",
                    crate::xlsx_guard::clip(v, QUOTED),
                    options.join("／"),
                    others.join("・")
                ))
            }
        },
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
        // Status words are kept as written; their meaning is the canonical word.
        for (written, means) in [
            ("有効", "使用可"),
            ("在職", "使用可"),
            ("使用中", "使用可"),
            ("退職", "無効"),
            ("退職済", "無効"),
            ("休職", "無効"),
            ("停止", "無効"),
            ("利用停止", "無効"),
            ("無効", "無効"),
            ("廃止", "削除"),
            ("削除", "削除"),
            ("削除済", "削除"),
        ] {
            let kept = normalise(status, written).unwrap().unwrap();
            assert_eq!(kept, written);
            let FieldType::Choice(options) = status.ty else {
                unreachable!()
            };
            assert_eq!(meaning(options, &kept), Some(means), "{written}");
        }
        let refused = normalise(status, "休憩中").unwrap_err();
        assert!(refused.contains("使用可／無効／削除"), "{refused}");
        assert!(
            refused.contains("退職") && refused.contains("休職"),
            "{refused}"
        );
        assert!(normalise(status, "").unwrap_err().contains("必須"));
        // Other columns store the canonical word.
        let mfa = Kind::Accounts.field("two_factor").unwrap();
        assert_eq!(normalise(mfa, "あり").unwrap().unwrap(), "有");
        assert_eq!(normalise(mfa, "導入済").unwrap().unwrap(), "有");
        assert_eq!(normalise(mfa, "不明").unwrap().unwrap(), "未確認");
        assert_eq!(normalise(mfa, "").unwrap(), None);
        let admin = Kind::Accounts.field("admin").unwrap();
        assert_eq!(normalise(admin, "○").unwrap().unwrap(), "はい");
        assert_eq!(normalise(admin, "ＹＥＳ").unwrap().unwrap(), "はい");
        let device = Kind::Devices.field("device_kind").unwrap();
        assert_eq!(normalise(device, "サーバー").unwrap().unwrap(), "サーバ");
        assert_eq!(
            normalise(device, "ルーター").unwrap().unwrap(),
            "ネットワーク機器"
        );
        assert!(
            normalise(device, "冷蔵庫")
                .unwrap_err()
                .contains("サーバー")
        );
        assert_eq!(header_key("ユーザーＩＤ"), header_key("ユーザ-id"));
    }

    #[test]
    fn every_word_maps_to_a_choice_some_column_has() {
        let all: Vec<&str> = Kind::ALL
            .iter()
            .flat_map(|k| k.fields().iter())
            .filter_map(|f| match f.ty {
                FieldType::Choice(o) => Some(o.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        for (w, c) in WORDS {
            assert!(all.contains(c), "{w} → {c}");
            assert_eq!(*w, w.to_ascii_lowercase(), "{w}");
        }
    }
}
