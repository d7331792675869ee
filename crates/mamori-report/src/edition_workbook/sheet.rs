//! Reading one sheet: the answer table's columns, what stands above it, and its rows into items.

use super::words::*;
use super::*;

pub(super) struct Builder {
    items: Vec<Item>,
    rows: Vec<RowPlace>,
    ambiguities: Vec<String>,
}

/// The columns of the answer table, from its header rows.
pub(super) struct Columns {
    rounds: BTreeMap<u8, RoundColumns>,
    note_col: Option<u32>,
    text_col: Option<u32>,
    number_col: Option<u32>,
    /// Every column answers are written in (results, marks, dates, notes).
    answer_cols: Vec<u32>,
}

pub(super) fn answer_columns(grid: &Grid, header: u32, header_end: u32) -> Columns {
    let kinds: Vec<Col> = (0..grid.width)
        .map(|c| {
            let headings: Vec<String> = (header..=header_end)
                .map(|r| grid.shown(r, c).to_string())
                .collect();
            classify_column(&headings)
        })
        .collect();
    let mut cols = Columns {
        rounds: BTreeMap::new(),
        note_col: None,
        text_col: None,
        number_col: None,
        answer_cols: Vec::new(),
    };
    for (c, kind) in kinds.iter().enumerate() {
        let c = c as u32;
        match *kind {
            Col::Result(r) => {
                cols.rounds.entry(r).or_insert(RoundColumns {
                    round: r,
                    result: c,
                    no: None,
                    date: None,
                    target_date: None,
                });
            }
            Col::Note => {
                cols.note_col.get_or_insert(c);
            }
            Col::Text => {
                cols.text_col.get_or_insert(c);
            }
            Col::Number => {
                cols.number_col.get_or_insert(c);
            }
            _ => {}
        }
    }
    for (c, kind) in kinds.iter().enumerate() {
        let c = c as u32;
        let slot = |rounds: &mut BTreeMap<u8, RoundColumns>,
                    r: u8,
                    f: fn(&mut RoundColumns) -> &mut Option<u32>| {
            if let Some(rc) = rounds.get_mut(&r) {
                f(rc).get_or_insert(c);
            }
        };
        match *kind {
            Col::Date(r) => slot(&mut cols.rounds, r, |rc| &mut rc.date),
            Col::TargetDate(r) => slot(&mut cols.rounds, r, |rc| &mut rc.target_date),
            Col::No(r) => slot(&mut cols.rounds, r, |rc| &mut rc.no),
            _ => {}
        }
        if matches!(
            kind,
            Col::Result(_) | Col::No(_) | Col::Date(_) | Col::TargetDate(_) | Col::Note
        ) {
            cols.answer_cols.push(c);
        }
    }
    cols
}

/// What stands above the table: the title, the form's kind, the header fields, the notes.
#[derive(Default)]
pub(super) struct Above {
    title: Option<String>,
    variant: Option<Variant>,
    fields: Vec<HeaderField>,
    notes: Vec<String>,
}

pub(super) fn above_table(grid: &Grid, header: u32) -> Above {
    let mut above = Above::default();
    for r in 0..header {
        for c in 0..grid.width {
            if !grid.is_origin(r, c) {
                continue;
            }
            let t = grid.text(r, c);
            if t.trim().is_empty() {
                continue;
            }
            if above.title.is_none() && t.contains("チェックリスト") {
                above.title = Some(t.trim().to_string());
            }
            if above.variant.is_none() {
                above.variant = variant_in(t);
            }
            for line in t.lines().filter(|l| is_note(l)) {
                above.notes.push(note_text(line));
            }
            if let Some(field) = header_field(grid, r, c, t) {
                above.fields.push(field);
            }
        }
    }
    above
}

/// A header field (施設名, 確認日 …) in a cell, with the cell its value goes in: the next one to the
/// right, or the same cell when the label ends with a colon and a value, or at the sheet's edge.
pub(super) fn header_field(grid: &Grid, r: u32, c: u32, t: &str) -> Option<HeaderField> {
    let k = key_text(t);
    let label = FIELD_LABELS.iter().find(|l| k.starts_with(**l))?;
    let rest = k[label.len()..].trim_start_matches(['：', ':']);
    let inline = k[label.len()..].starts_with(['：', ':']) && !rest.is_empty();
    if k.chars().count() > label.chars().count() + 1 && !inline {
        return None;
    }
    let span = grid.region(r, c).map(|d| d.end.1 - d.start.1).unwrap_or(0);
    let (vr, vc) = if inline || k.ends_with(['：', ':']) && c + span + 1 >= grid.width {
        (r, c)
    } else {
        (r, c + span + 1)
    };
    Some(HeaderField {
        label: label.to_string(),
        row: vr,
        col: vc,
        inline: (vr, vc) == (r, c),
    })
}

/// The form's kind: the one given, else the one the sheet says (its cells, its name, its title).
pub(super) fn choose_variant(
    given: Option<Variant>,
    found: Option<Variant>,
    ambiguities: &mut Vec<String>,
) -> Result<Variant, WorkbookError> {
    match (given, found) {
        (Some(g), Some(f)) if g != f => {
            ambiguities.push(format!(
                "ブックには「{}」とありますが、指定された「{}」として取り込みます",
                f.label(),
                g.label()
            ));
            Ok(g)
        }
        (Some(g), _) => Ok(g),
        (None, Some(f)) => Ok(f),
        (None, None) => refuse(
            "様式の種類（医療機関・薬局確認用／医療機関確認用／薬局確認用／事業者確認用）が読み取れません。様式を指定して取り込んでください",
        ),
    }
}

/// What the cells of one table row say, apart from the answers.
#[derive(Default)]
pub(super) struct RowCells<'g> {
    number: Option<(Option<String>, u32, String)>,
    /// The longest other text: the item's own cell.
    candidate: Option<(u32, &'g str)>,
    reference: bool,
    note: Option<String>,
}

/// Reads the table's rows into items, keeping the headings met on the way (section, target group).
pub(super) struct TableReader {
    variant: Variant,
    b: Builder,
    section: Option<String>,
    section_titles: BTreeMap<String, String>,
    group_headings: BTreeMap<String, String>,
    target: Option<Target>,
    gate_note: Option<String>,
    counters: HashMap<String, u32>,
    last_item: Option<usize>,
    unread: Vec<String>,
    notes: Vec<String>,
}

impl TableReader {
    fn cells<'g>(&mut self, texts: &[(u32, &'g str)]) -> RowCells<'g> {
        let mut cells = RowCells::default();
        for (c, t) in texts {
            let trimmed = t.trim();
            if is_note(trimmed) {
                cells.note = Some(trimmed.to_string());
            } else if let Some(s) = parse_section(trimmed) {
                self.section_titles.insert(s.clone(), trimmed.to_string());
                if s != "2" {
                    self.target = None;
                }
                self.section = Some(s);
            } else if let Some(tg) = parse_target(trimmed) {
                if key_text(trimmed).contains("について") {
                    self.group_headings
                        .insert(tg.id().to_string(), trimmed.to_string());
                }
                self.target = Some(tg);
            } else if let Some((s, n)) = parse_number(trimmed) {
                cells.number = Some((s, n, trimmed.to_string()));
            } else if key_text(trimmed).trim_matches(['(', ')']) == "参考"
                || key_text(trimmed) == "参考項目"
            {
                cells.reference = true;
            } else if cells
                .candidate
                .is_none_or(|(_, x)| t.chars().count() > x.chars().count())
            {
                cells.candidate = Some((*c, t));
            }
        }
        cells
    }

    fn row(&mut self, r: u32, texts: &[(u32, &str)]) {
        let mut cells = self.cells(texts);
        let Some((_, cell)) = cells.candidate else {
            if let Some(n) = cells.note {
                attach_note(&mut self.b, self.last_item, &n, &mut self.notes);
            }
            return;
        };
        // The item's own cell: text lines, then ※ notes, （参考項目） and the gate's （「いいえ」の場合…）.
        let mut lines: Vec<&str> = cell.trim().lines().collect();
        let mut item_note = Vec::new();
        while lines.len() > 1 {
            let last = lines[lines.len() - 1].trim();
            if key_text(last) == "(参考項目)" {
                cells.reference = true;
            } else if is_note(last) {
                item_note.insert(0, last.to_string());
            } else if last.starts_with("（「いいえ」") || last.starts_with("(「いいえ」")
            {
                self.gate_note = Some(last.to_string());
            } else {
                break;
            }
            lines.pop();
        }
        let mut text = lines.join("\n");
        if cells.number.is_none()
            && let Some((num, rest)) = split_number_prefix(&text)
        {
            let (s, n) = parse_number(num).expect("split_number_prefix parses");
            cells.number = Some((s, n, num.to_string()));
            text = rest.to_string();
        }
        // The vendor form has no gate: an item there is read as an ordinary item of its section.
        let gate = self.variant != Variant::Vendor
            && (self.section.as_deref() == Some("gate")
                || (self.section.is_none() && key_text(&text).contains("医療情報システムを導入")));
        if cells.number.is_none() && !gate && !text.ends_with('。') {
            // Not an item: a deadline block (○令和5年度中), a caption, or a stray text.
            self.unread
                .push(format!("{}行目「{}」", r + 1, first_line(&text)));
            return;
        }
        let sec = self.section_of(r, gate, &cells.number);
        let (key, printed) = self.key_of(r, gate, &sec, &cells.number);
        let group = if sec == "2" {
            self.target.unwrap_or(Target::General)
        } else {
            Target::General
        };
        let note = (!item_note.is_empty()).then(|| item_note.join("\n"));
        self.last_item = add_row(
            &mut self.b,
            r,
            key,
            sec,
            printed,
            text,
            note,
            gate,
            group,
            cells.reference,
        );
        if let Some(n) = cells.note {
            attach_note(&mut self.b, self.last_item, &n, &mut self.notes);
        }
    }

    /// The item's section: the gate's, its number's (over the heading's), the heading's, or 1.
    fn section_of(
        &mut self,
        r: u32,
        gate: bool,
        number: &Option<(Option<String>, u32, String)>,
    ) -> String {
        if gate {
            return "gate".to_string();
        }
        if let Some(s) = number.as_ref().and_then(|(s, _, _)| s.clone()) {
            if self.section.as_deref().is_some_and(|x| x != s) {
                self.b.ambiguities.push(format!(
                    "{}行目：番号「{}」の区分と見出しの区分（{}）が違います。番号に従いました",
                    r + 1,
                    number.as_ref().map(|n| n.2.as_str()).unwrap_or(""),
                    self.section.as_deref().unwrap_or("")
                ));
            }
            return s;
        }
        if let Some(s) = &self.section {
            return s.clone();
        }
        self.b.ambiguities.push(format!(
            "{}行目：区分の見出しより前の項目です。区分1として読みました",
            r + 1
        ));
        "1".into()
    }

    /// The item's key and its number as printed; an item without a number takes the next in its section.
    fn key_of(
        &mut self,
        r: u32,
        gate: bool,
        sec: &str,
        number: &Option<(Option<String>, u32, String)>,
    ) -> (String, String) {
        if gate {
            return ("gate".to_string(), String::new());
        }
        let counter = self.counters.entry(sec.to_string()).or_insert(0);
        match number {
            Some((_, n, printed)) => {
                *counter = (*counter).max(*n);
                (format!("{sec}.{n}"), printed.clone())
            }
            None => {
                *counter += 1;
                self.b.ambiguities.push(format!(
                    "{}行目：番号がありません。{}番目の項目として読みました",
                    r + 1,
                    counter
                ));
                (format!("{sec}.{counter}"), String::new())
            }
        }
    }
}

/// Items in number order within their sections (section 2 is printed grouped by target, so the sheet's
/// order is not the items' order).
pub(super) fn sort_items(items: &mut [Item]) {
    let mut order: Vec<String> = Vec::new();
    for i in items.iter() {
        if !order.contains(&i.section) {
            order.push(i.section.clone());
        }
    }
    let number_of = |k: &str| -> u32 {
        k.split_once('.')
            .and_then(|(_, n)| n.split('-').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    items.sort_by_key(|i| {
        (
            order.iter().position(|s| *s == i.section),
            number_of(&i.key),
        )
    });
}

/// Reads the checklist on one sheet.
pub(crate) fn read_sheet(
    sheet: &str,
    grid: &Grid,
    given: Option<Variant>,
) -> Result<ParsedWorkbook, WorkbookError> {
    if grid.cells.is_empty() {
        return refuse(format!("シート「{sheet}」は空です"));
    }
    let not_checklist = || {
        format!(
            "シート「{sheet}」にチェックリストの表が見つかりません（「確認結果」「1回目」「備考」などの見出しの行と、番号のついた項目が必要です）。厚生労働省のチェックリストの Excel を選んでください"
        )
    };
    let Some(header) = (0..grid.height.min(80)).find(|r| header_score(grid, *r) >= 2) else {
        return refuse(not_checklist());
    };
    let mut header_end = header;
    while header_end < header + 2 && is_sub_header(grid, header_end + 1) {
        header_end += 1;
    }
    let cols = answer_columns(grid, header, header_end);
    if cols.rounds.is_empty() {
        return refuse(not_checklist());
    }
    let first_answer = *cols.answer_cols.iter().min().expect("a result column");
    let above = above_table(grid, header);
    let mut ambiguities = Vec::new();
    let title = above.title.unwrap_or_else(|| {
        ambiguities.push("表題（「…チェックリスト」）が見つかりません".into());
        String::new()
    });
    let found_variant = above
        .variant
        .or_else(|| variant_in(sheet))
        .or_else(|| variant_of_title(&title));
    let variant = choose_variant(given, found_variant, &mut ambiguities)?;

    let mut t = TableReader {
        variant,
        b: Builder {
            items: Vec::new(),
            rows: Vec::new(),
            ambiguities,
        },
        section: None,
        section_titles: BTreeMap::new(),
        group_headings: BTreeMap::new(),
        target: None,
        gate_note: None,
        counters: HashMap::new(),
        last_item: None,
        unread: Vec::new(),
        notes: above.notes,
    };
    for r in header_end + 1..grid.height {
        let texts: Vec<(u32, &str)> = (0..first_answer.max(1))
            .chain((first_answer..grid.width).filter(|c| !cols.answer_cols.contains(c)))
            .filter(|c| grid.is_origin(r, *c))
            .map(|c| (c, grid.text(r, c)))
            .filter(|(_, t)| !t.trim().is_empty())
            .collect();
        if !texts.is_empty() {
            t.row(r, &texts);
        }
    }
    let mut b = t.b;
    if b.items.is_empty() {
        return refuse(not_checklist());
    }
    sort_items(&mut b.items);
    if !t.unread.is_empty() {
        b.ambiguities.push(format!(
            "項目として読まなかった行があります: {}",
            t.unread.join("、")
        ));
    }
    if variant != Variant::Vendor && !b.items.iter().any(|i| i.gate) {
        b.ambiguities.push(
            "「医療情報システムを導入、運用している。」の項目が見つかりません（医療機関・薬局の様式には通常あります）"
                .into(),
        );
    }
    let form = Form {
        edition: Default::default(),
        variant,
        title,
        title_confidence: Confidence::C,
        notes: t
            .notes
            .into_iter()
            .map(|text| Note {
                text,
                confidence: Confidence::C,
            })
            .collect(),
        items: b.items,
        section_titles: t.section_titles,
        in_order: false,
        group_headings: t.group_headings,
        gate_note: t.gate_note,
        layout_unverified: false,
    };
    Ok(ParsedWorkbook {
        form,
        variant_found: found_variant.is_some(),
        layout: LayoutMap {
            sheet: sheet.to_string(),
            header_rows: (header, header_end),
            text_col: cols.text_col.unwrap_or(0),
            number_col: cols.number_col,
            rounds: cols.rounds.into_values().collect(),
            note_col: cols.note_col,
            fields: above.fields,
            rows: b.rows,
        },
        ambiguities: b.ambiguities,
    })
}

pub(super) fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 30 {
        format!("{}…", l.chars().take(30).collect::<String>())
    } else {
        l.to_string()
    }
}

/// A note row: a ※ right under an item belongs to it; others are the form's notes.
pub(super) fn attach_note(
    b: &mut Builder,
    last_item: Option<usize>,
    note: &str,
    notes: &mut Vec<String>,
) {
    match last_item {
        Some(i) if note.starts_with('※') => {
            let it = &mut b.items[i];
            it.note = Some(match it.note.take() {
                Some(n) if !n.split('\n').any(|l| l == note) => format!("{n}\n{note}"),
                Some(n) => n,
                None => note.to_string(),
            });
        }
        _ => notes.push(note_text(note)),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn add_row(
    b: &mut Builder,
    row: u32,
    mut key: String,
    section: String,
    number: String,
    text: String,
    note: Option<String>,
    gate: bool,
    group: Target,
    reference: bool,
) -> Option<usize> {
    use mamori_core::edition_import::normalized;
    if let Some(i) = b.items.iter().position(|i| i.key == key) {
        if normalized(&b.items[i].text) == normalized(&text) {
            if b.items[i].has_target(group) {
                b.ambiguities.push(format!(
                    "{}行目：同じ項目（{}）が同じ対象に2回あります。最初の行を使います",
                    row + 1,
                    first_line(&text)
                ));
                return Some(i);
            }
            b.items[i].targets.push(ItemTarget { group, reference });
            b.rows.push(RowPlace {
                key,
                target: group,
                row,
            });
            return Some(i);
        }
        b.ambiguities.push(format!(
            "{}行目：番号「{number}」が別の文言の項目と重なります。別の項目として読みました",
            row + 1
        ));
        let base = key.clone();
        let taken: std::collections::HashSet<&str> =
            b.items.iter().map(|i| i.key.as_str()).collect();
        let mut k = 2;
        while taken.contains(key.as_str()) {
            key = format!("{base}-{k}");
            k += 1;
        }
    }
    b.rows.push(RowPlace {
        key: key.clone(),
        target: group,
        row,
    });
    b.items.push(Item {
        id: Default::default(),
        key,
        section,
        number,
        topic: mamori_core::Topic::New,
        text,
        confidence: Confidence::C,
        note,
        gate,
        vendor_contract_only: false,
        targets: vec![ItemTarget { group, reference }],
        source: String::new(),
        guidance: String::new(),
        guidance_sources: String::new(),
        guidance_edition: String::new(),
    });
    Some(b.items.len() - 1)
}
