//! Charts for the management report as SVG text, drawn on the server: the same drawing goes inline into
//! the page and into the PDF (typst reads SVG). No JavaScript. Labels are escaped; colours are the page's.

use chrono::{Datelike, NaiveDate};

const YES: &str = "#1a7f37";
const NO: &str = "#b35900";
const UNANSWERED: &str = "#8c959f";
const FONT: &str = "IPAexGothic, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn legend(x: f64, y: f64, entries: &[(&str, &str)]) -> String {
    entries
        .iter()
        .enumerate()
        .map(|(i, (label, colour))| {
            let x = x + i as f64 * 90.0;
            format!(
                r#"<rect x="{x}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{y}" font-size="12">{label}</text>"#,
                y - 10.0,
                x + 16.0
            )
        })
        .collect()
}

/// One stacked bar per section: (label, はい, いいえ, 未回答).
pub fn section_bars(rows: &[(String, usize, usize, usize)]) -> String {
    let (width, label_w, bar_h, gap) = (640.0, 200.0, 22.0, 10.0);
    let height = 40.0 + rows.len() as f64 * (bar_h + gap);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" aria-label="章ごとの回答">"#
    );
    out.push_str(&legend(
        label_w,
        16.0,
        &[("はい", YES), ("いいえ", NO), ("未回答", UNANSWERED)],
    ));
    for (i, (label, yes, no, unanswered)) in rows.iter().enumerate() {
        let y = 30.0 + i as f64 * (bar_h + gap);
        let total = (yes + no + unanswered).max(1) as f64;
        let scale = (width - label_w - 10.0) / total;
        out.push_str(&format!(
            r#"<text x="0" y="{}" font-size="12">{}</text>"#,
            y + 15.0,
            esc(label)
        ));
        let mut x = label_w;
        for (n, colour) in [(yes, YES), (no, NO), (unanswered, UNANSWERED)] {
            if *n == 0 {
                continue;
            }
            let w = *n as f64 * scale;
            out.push_str(&format!(
                r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{bar_h}" fill="{colour}"/>"#
            ));
            if w >= 18.0 {
                out.push_str(&format!(
                    r##"<text x="{:.1}" y="{}" font-size="12" fill="#fff">{n}</text>"##,
                    x + 4.0,
                    y + 15.0
                ));
            }
            x += w;
        }
    }
    out.push_str("</svg>");
    out
}

/// The counts over a fiscal year (April to March): a line for はい and one for いいえ, a day per point.
pub fn year_lines(points: &[(NaiveDate, usize, usize, usize)], fy_start: NaiveDate) -> String {
    let (width, height, left, bottom, top) = (640.0, 240.0, 40.0, 30.0, 30.0);
    let fy_end = NaiveDate::from_ymd_opt(fy_start.year() + 1, 3, 31).unwrap_or(fy_start);
    let days = (fy_end - fy_start).num_days().max(1) as f64;
    let max = points
        .iter()
        .map(|(_, y, n, u)| y + n + u)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = width - left - 10.0;
    let plot_h = height - top - bottom;
    let x_of = |d: NaiveDate| {
        left + ((d - fy_start).num_days().clamp(0, days as i64) as f64 / days) * plot_w
    };
    let y_of = |v: usize| top + plot_h - (v as f64 / max) * plot_h;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" aria-label="年度の回答の推移">"#
    );
    out.push_str(&legend(left, 16.0, &[("はい", YES), ("いいえ", NO)]));
    // Axes and a tick a month.
    out.push_str(&format!(
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#59636e"/><line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#59636e"/>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        top + plot_h
    ));
    for m in 0..12 {
        let month = (3 + m) % 12 + 1;
        let year = fy_start.year() + i32::from(month < 4);
        let Some(d) = NaiveDate::from_ymd_opt(year, month as u32, 1) else {
            continue;
        };
        let x = x_of(d);
        out.push_str(&format!(
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#d0d7de"/><text x="{:.1}" y="{}" font-size="11">{month}月</text>"##,
            top + plot_h,
            top + plot_h + 4.0,
            x + 2.0,
            height - 10.0
        ));
    }
    out.push_str(&format!(
        r#"<text x="4" y="{}" font-size="11">{}</text><text x="4" y="{}" font-size="11">0</text>"#,
        top + 10.0,
        max as usize,
        top + plot_h
    ));
    if points.is_empty() {
        out.push_str(&format!(
            r#"<text x="{}" y="{}" font-size="13">まだ記録がありません</text>"#,
            left + 20.0,
            top + plot_h / 2.0
        ));
    }
    for (pick, colour) in [(0, YES), (1, NO)] {
        let coords: Vec<String> = points
            .iter()
            .map(|(d, y, n, _)| {
                let v = if pick == 0 { *y } else { *n };
                format!("{:.1},{:.1}", x_of(*d), y_of(v))
            })
            .collect();
        if coords.len() == 1 {
            let (x, y) = coords[0].split_once(',').unwrap_or(("0", "0"));
            out.push_str(&format!(
                r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#
            ));
        } else if !coords.is_empty() {
            out.push_str(&format!(
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                coords.join(" ")
            ));
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(svg: &str) {
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        // Every opened element is closed (the drawing has no nesting beyond the root).
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn bars_carry_their_numbers_and_escape_labels() {
        let svg = section_bars(&[("1 体制構築".into(), 3, 1, 0), ("2 <全般>".into(), 5, 2, 4)]);
        well_formed(&svg);
        assert!(svg.contains("1 体制構築") && svg.contains("2 &lt;全般&gt;"));
        assert_eq!(
            svg.matches(&format!("fill=\"{YES}\"")).count(),
            3,
            "legend and two bars"
        );
    }

    #[test]
    fn the_year_runs_april_to_march() {
        let start = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        let svg = year_lines(
            &[
                (NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(), 2, 5, 13),
                (NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(), 12, 3, 5),
            ],
            start,
        );
        well_formed(&svg);
        assert!(svg.find(">4月<").unwrap() < svg.find(">3月<").unwrap());
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(year_lines(&[], start).contains("まだ記録がありません"));
    }
}

/// Cuts a label to `n` characters (…).
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// A box with a title and an optional second line, centred at `cx`.
fn node(cx: f64, y: f64, w: f64, title: &str, detail: &str, fill: &str) -> String {
    let h = if detail.is_empty() { 30.0 } else { 44.0 };
    let mut s = format!(
        r##"<rect x="{}" y="{y}" width="{w}" height="{h}" rx="4" fill="{fill}" stroke="#1f3b57"/><text x="{cx}" y="{}" font-size="12" text-anchor="middle">{}</text>"##,
        cx - w / 2.0,
        y + 19.0,
        esc(&cut(title, 15))
    );
    if !detail.is_empty() {
        s.push_str(&format!(
            r#"<text x="{cx}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
            y + 36.0,
            esc(&cut(detail, 20))
        ));
    }
    s
}

/// The 連絡体制図: 院内 (whoever finds it) → the 安全管理責任者 → each contact of the 外部連絡リスト by
/// category (院内, 事業者, 公的機関, その他). The 公的機関 column always shows 厚生労働省, 警察 and MIST's
/// 「インシデントかも」 consultation, marked 「連絡先未登録」 when the list has none of them. `contacts`:
/// (category, organisation, person and phone).
pub fn contact_chart(officer: &str, contacts: &[(String, String, String)]) -> String {
    const W: f64 = 190.0;
    const GAP: f64 = 16.0;
    let mut columns: Vec<(&str, Vec<(String, String)>)> = ["院内", "事業者", "公的機関", "その他"]
        .iter()
        .map(|cat| {
            (
                *cat,
                contacts
                    .iter()
                    .filter(|(c, _, _)| {
                        c == cat
                            || (*cat == "その他"
                                && !["院内", "事業者", "公的機関"].contains(&c.as_str()))
                    })
                    .map(|(_, o, d)| (o.clone(), d.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    for (needle, label) in [
        ("厚生労働省", "厚生労働省"),
        ("警察", "警察（サイバー犯罪相談窓口）"),
        ("MIST", "MIST「インシデントかも」"),
    ] {
        let public = &mut columns[2].1;
        if !public.iter().any(|(o, _)| o.contains(needle)) {
            public.push((label.to_string(), "連絡先未登録".to_string()));
        }
    }
    columns.retain(|(_, items)| !items.is_empty());
    let n = columns.len().max(1) as f64;
    let width = n * (W + GAP) + GAP;
    let tallest = columns
        .iter()
        .map(|(_, i)| i.len().min(8))
        .max()
        .unwrap_or(0) as f64;
    let height = 190.0 + tallest * 52.0 + 20.0;
    let mid = width / 2.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" aria-label="連絡体制図">"#
    );
    s.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f3b57"/></marker></defs>"##);
    s.push_str(&node(
        mid,
        10.0,
        260.0,
        "発見した職員・各部署",
        "まず安全管理責任者へ",
        "#fff7e0",
    ));
    s.push_str(&format!(
        r##"<line x1="{mid}" y1="54" x2="{mid}" y2="78" stroke="#1f3b57" marker-end="url(#arrow)"/>"##
    ));
    s.push_str(&node(
        mid,
        80.0,
        260.0,
        "医療情報システム安全管理責任者",
        officer,
        "#e3eefa",
    ));
    for (i, (cat, items)) in columns.iter().enumerate() {
        let cx = GAP + W / 2.0 + i as f64 * (W + GAP);
        s.push_str(&format!(
            r##"<line x1="{mid}" y1="124" x2="{cx}" y2="148" stroke="#1f3b57" marker-end="url(#arrow)"/><text x="{cx}" y="166" font-size="12" font-weight="bold" text-anchor="middle">{}</text>"##,
            esc(cat)
        ));
        for (j, (org, detail)) in items.iter().take(8).enumerate() {
            let y = 176.0 + j as f64 * 52.0;
            let fill = if detail == "連絡先未登録" {
                "#fdecec"
            } else {
                "#ffffff"
            };
            let detail = if j == 7 && items.len() > 8 {
                format!("ほか{}件", items.len() - 7)
            } else {
                detail.clone()
            };
            s.push_str(&node(cx, y, W, org, &detail, fill));
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod contact_chart_tests {
    use super::*;

    #[test]
    fn the_chart_names_each_contact_and_the_missing_public_ones() {
        let svg = contact_chart(
            "山田 太郎",
            &[
                (
                    "事業者".into(),
                    "ひかりシステム<保守>".into(),
                    "佐藤 03-0000-0000".into(),
                ),
                ("公的機関".into(), "警察署 生活安全課".into(), "110".into()),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("山田 太郎"));
        assert!(svg.contains("ひかりシステム&lt;保守&gt;"), "escaped");
        assert!(svg.contains("警察署 生活安全課"));
        // 厚生労働省 and MIST are not in the list: shown as not registered.
        assert!(svg.contains("厚生労働省"));
        assert!(svg.contains("MIST「インシデントかも」"));
        assert_eq!(svg.matches("連絡先未登録").count(), 2);
    }
}
