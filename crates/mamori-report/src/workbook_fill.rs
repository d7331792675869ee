//! Filling the official workbook: answers, dates and notes written into a copy of the uploaded file, in the
//! cells its layout map found. Every other part of the file is copied byte for byte: the other zip entries
//! (styles, shared strings, print setup, drawings) untouched, and in the checklist sheet's XML only the
//! filled cells' elements replaced (keeping each cell's style) or inserted where the sheet had none.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use mamori_core::answers::{AnswerSet, RowStatus, exemption};
use mamori_core::catalog::Form;
use mamori_core::dates::wareki;
use mamori_core::{Answer, Choice};
use quick_xml::Reader;
use quick_xml::events::Event;
use zip::ZipArchive;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::edition_workbook::{LayoutMap, WorkbookError};
use crate::result_cell;

fn broken<T>(what: impl std::fmt::Display) -> Result<T, WorkbookError> {
    Err(WorkbookError::Refused(format!(
        "取り込んだブックに書き込めません（ファイルが壊れている可能性があります）: {what}"
    )))
}

/// `C12` from (row 11, col 2).
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut c = col + 1;
    let mut letters = Vec::new();
    while c > 0 {
        let m = (c - 1) % 26;
        letters.push(b'A' + m as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).expect("ASCII"), row + 1)
}

/// (row, col) from `C12`.
pub fn parse_ref(r: &str) -> Option<(u32, u32)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)?;
    }
    let row: u32 = digits.parse().ok()?;
    (row > 0).then(|| (row - 1, col - 1))
}

/// How the 備考 cell marks a note of a later round: 「（2回目）」 (as [`crate::NOTE_ROUND2`]), 「（3回目）」 ….
pub fn round_mark(round: u8) -> String {
    format!("（{round}回目）")
}

/// The cells to write for a form's answers: (row, col) → text.
pub fn answer_cells(
    layout: &LayoutMap,
    form: &Form,
    answers: &AnswerSet,
    has_vendor_contract: bool,
    fields: &[(&str, String)],
) -> BTreeMap<(u32, u32), String> {
    let mut out = BTreeMap::new();
    for f in &layout.fields {
        if let Some((_, v)) = fields.iter().find(|(l, _)| *l == f.label) {
            let text = if f.inline {
                format!("{}：{v}", f.label)
            } else {
                v.clone()
            };
            out.insert((f.row, f.col), text);
        }
    }
    let several_rounds = layout.rounds.len() > 1;
    for place in &layout.rows {
        let Some(item) = form.item_by_key(&place.key) else {
            continue;
        };
        let exempt = exemption(form, item, answers, has_vendor_contract);
        let mut notes = Vec::new();
        for rc in &layout.rounds {
            if let Some(s @ (RowStatus::NotNeeded | RowStatus::NotApplicable)) = exempt {
                if rc.round == 1 {
                    out.insert((place.row, rc.result), s.label().to_string());
                }
                continue;
            }
            let Some(a) = answers.get(&item.id, place.target, rc.round) else {
                continue;
            };
            // The gate's いいえ means "no system": it never prints a 目標日.
            let printed = Answer {
                target_date: a.target_date.filter(|_| !item.gate),
                ..a.clone()
            };
            write_answer(&mut out, place.row, rc, &printed);
            if !a.note.is_empty() {
                notes.push(if rc.round > 1 && several_rounds {
                    format!("{}{}", round_mark(rc.round), a.note)
                } else {
                    a.note.clone()
                });
            }
        }
        if let (Some(c), false) = (layout.note_col, notes.is_empty()) {
            out.insert((place.row, c), notes.join("\n"));
        }
    }
    out
}

fn write_answer(
    out: &mut BTreeMap<(u32, u32), String>,
    row: u32,
    rc: &crate::edition_workbook::RoundColumns,
    a: &Answer,
) {
    let target = (a.answer == Choice::No).then_some(a.target_date).flatten();
    if let Some(no) = rc.no {
        // Marked in the はい or いいえ column; the dates in their columns, or beside the mark.
        let col = if a.answer == Choice::No {
            no
        } else {
            rc.result
        };
        let mut mark = crate::edition_workbook::MARK.to_string();
        match rc.date {
            Some(dc) => {
                out.insert((row, dc), wareki(a.checked_on));
            }
            None => mark.push_str(&format!("\n（{}）", wareki(a.checked_on))),
        }
        if let Some(t) = target {
            match rc.target_date {
                Some(tc) => {
                    out.insert((row, tc), wareki(t));
                }
                None => mark.push_str(&format!("\n目標日：{}", wareki(t))),
            }
        }
        out.insert((row, col), mark);
        return;
    }
    match rc.date {
        Some(dc) => {
            let mut result = a.answer.label().to_string();
            out.insert((row, dc), wareki(a.checked_on));
            if let Some(t) = target {
                match rc.target_date {
                    Some(tc) => {
                        out.insert((row, tc), wareki(t));
                    }
                    None => result.push_str(&format!("\n目標日：{}", wareki(t))),
                }
            }
            out.insert((row, rc.result), result);
        }
        None => match (rc.target_date, target) {
            (Some(tc), Some(t)) => {
                out.insert(
                    (row, rc.result),
                    format!("{}\n（{}）", a.answer.label(), wareki(a.checked_on)),
                );
                out.insert((row, tc), wareki(t));
            }
            _ => {
                out.insert((row, rc.result), result_cell(a));
            }
        },
    }
}

/// The zip path of a sheet, from `xl/workbook.xml` and its relationships.
fn sheet_path(zip: &mut ZipArchive<Cursor<&[u8]>>, sheet: &str) -> Result<String, WorkbookError> {
    let read = |zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str| -> Result<String, WorkbookError> {
        let mut s = String::new();
        match zip.by_name(name) {
            Ok(mut f) => f.read_to_string(&mut s).map(|_| s).or_else(broken),
            Err(e) => broken(format!("{name}: {e}")),
        }
    };
    let wb = read(zip, "xl/workbook.xml")?;
    let rels = read(zip, "xl/_rels/workbook.xml.rels")?;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &[u8]| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name || a.key.local_name().as_ref() == name)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
    };
    let mut rid = None;
    let mut r = Reader::from_str(&wb);
    loop {
        match r.read_event() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"sheet"
                    && attr(&e, b"name").as_deref() == Some(sheet) =>
            {
                rid = attr(&e, b"r:id").or_else(|| attr(&e, b"id"));
                break;
            }
            Ok(Event::Eof) => break,
            Err(e) => return broken(e),
            _ => {}
        }
    }
    let Some(rid) = rid else {
        return broken(format!("シート「{sheet}」がありません"));
    };
    let mut r = Reader::from_str(&rels);
    loop {
        match r.read_event() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"Relationship"
                    && attr(&e, b"Id").as_deref() == Some(&rid) =>
            {
                let target = attr(&e, b"Target").unwrap_or_default();
                return Ok(match target.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => format!("xl/{target}"),
                });
            }
            Ok(Event::Eof) => return broken(format!("{rid} の参照先がありません")),
            Err(e) => return broken(e),
            _ => {}
        }
    }
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            // Characters XML 1.0 cannot hold.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

fn new_cell(row: u32, col: u32, style: Option<&str>, text: &str) -> String {
    let s = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    format!(
        "<c r=\"{}\"{s} t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
        cell_ref(row, col),
        escape(text)
    )
}

/// Rewrites a sheet's XML: the given cells replaced or inserted, every other byte as it was.
pub fn rewrite_sheet_xml(
    xml: &[u8],
    values: &BTreeMap<(u32, u32), String>,
) -> Result<Vec<u8>, WorkbookError> {
    let mut pending: BTreeMap<u32, BTreeMap<u32, &str>> = BTreeMap::new();
    for ((r, c), v) in values {
        pending.entry(*r).or_default().insert(*c, v);
    }
    let mut out = Vec::with_capacity(xml.len() + values.len() * 80);
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut copied = 0usize;
    let mut row: Option<u32> = None;
    // A cell being replaced: skip its bytes until its end.
    let mut skipping = false;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &[u8]| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
    };
    loop {
        let start = reader.buffer_position() as usize;
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return broken(e),
        };
        let end = reader.buffer_position() as usize;
        // Emits the bytes before this event (when not skipping a replaced cell).
        let flush = |out: &mut Vec<u8>, copied: &mut usize, upto: usize| {
            out.extend_from_slice(&xml[*copied..upto]);
            *copied = upto;
        };
        match ev {
            Event::Eof => break,
            Event::End(e) if skipping && e.local_name().as_ref() == b"c" => {
                skipping = false;
                copied = end;
            }
            _ if skipping => {}
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                let r = attr(&e, b"r")
                    .and_then(|v| v.parse::<u32>().ok())
                    .map(|v| v - 1)
                    .unwrap_or_else(|| row.map(|x| x + 1).unwrap_or(0));
                flush(&mut out, &mut copied, start);
                // Whole rows the sheet does not have yet come before this one.
                let earlier: Vec<u32> = pending.range(..r).map(|(k, _)| *k).collect();
                for er in earlier {
                    let cells = pending.remove(&er).unwrap_or_default();
                    out.extend_from_slice(format!("<row r=\"{}\">", er + 1).as_bytes());
                    for (c, v) in cells {
                        out.extend_from_slice(new_cell(er, c, None, v).as_bytes());
                    }
                    out.extend_from_slice(b"</row>");
                }
                row = Some(r);
            }
            Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                let r = attr(&e, b"r")
                    .and_then(|v| v.parse::<u32>().ok())
                    .map(|v| v - 1)
                    .unwrap_or(0);
                if let Some(cells) = pending.remove(&r) {
                    // `<row r="5"/>` becomes `<row r="5">…</row>`.
                    flush(&mut out, &mut copied, start);
                    let raw = &xml[start..end];
                    let open = &raw[..raw.len() - 2];
                    out.extend_from_slice(open.trim_ascii_end());
                    out.push(b'>');
                    for (c, v) in cells {
                        out.extend_from_slice(new_cell(r, c, None, v).as_bytes());
                    }
                    out.extend_from_slice(b"</row>");
                    copied = end;
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) if e.local_name().as_ref() == b"c" => {
                let Some(r) = row else { continue };
                let Some((_, col)) = attr(e, b"r").and_then(|v| parse_ref(&v)) else {
                    continue;
                };
                let Some(cells) = pending.get_mut(&r) else {
                    continue;
                };
                flush(&mut out, &mut copied, start);
                let before: Vec<u32> = cells.range(..col).map(|(k, _)| *k).collect();
                for c in before {
                    let v = cells.remove(&c).expect("listed");
                    out.extend_from_slice(new_cell(r, c, None, v).as_bytes());
                }
                if let Some(v) = cells.remove(&col) {
                    let style = attr(e, b"s");
                    out.extend_from_slice(new_cell(r, col, style.as_deref(), v).as_bytes());
                    if matches!(ev, Event::Start(_)) {
                        skipping = true;
                    } else {
                        copied = end;
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"row" => {
                if let Some(r) = row.take()
                    && let Some(cells) = pending.remove(&r)
                {
                    flush(&mut out, &mut copied, start);
                    for (c, v) in cells {
                        out.extend_from_slice(new_cell(r, c, None, v).as_bytes());
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"sheetData" => {
                flush(&mut out, &mut copied, start);
                for (r, cells) in std::mem::take(&mut pending) {
                    out.extend_from_slice(format!("<row r=\"{}\">", r + 1).as_bytes());
                    for (c, v) in cells {
                        out.extend_from_slice(new_cell(r, c, None, v).as_bytes());
                    }
                    out.extend_from_slice(b"</row>");
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == b"sheetData" && !pending.is_empty() => {
                flush(&mut out, &mut copied, start);
                out.extend_from_slice(b"<sheetData>");
                for (r, cells) in std::mem::take(&mut pending) {
                    out.extend_from_slice(format!("<row r=\"{}\">", r + 1).as_bytes());
                    for (c, v) in cells {
                        out.extend_from_slice(new_cell(r, c, None, v).as_bytes());
                    }
                    out.extend_from_slice(b"</row>");
                }
                out.extend_from_slice(b"</sheetData>");
                copied = end;
            }
            _ => {}
        }
    }
    out.extend_from_slice(&xml[copied..]);
    if !pending.is_empty() {
        return broken("シートのデータ（sheetData）が見つかりません");
    }
    Ok(out)
}

/// A copy of `xlsx` with `values` written into `sheet`; every other entry copied as it was.
pub fn fill_workbook(
    xlsx: &[u8],
    sheet: &str,
    values: &BTreeMap<(u32, u32), String>,
) -> Result<Vec<u8>, WorkbookError> {
    let mut zip = match ZipArchive::new(Cursor::new(xlsx)) {
        Ok(z) => z,
        Err(e) => return broken(e),
    };
    let path = sheet_path(&mut zip, sheet)?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(xlsx.len() + 4096)));
    for i in 0..zip.len() {
        let name = match zip.by_index_raw(i) {
            Ok(f) => match f.name() {
                Ok(n) => n.to_string(),
                Err(e) => return broken(e),
            },
            Err(e) => return broken(e),
        };
        if name == path {
            let mut xml = Vec::new();
            let options = {
                let mut f = match zip.by_index(i) {
                    Ok(f) => f,
                    Err(e) => return broken(e),
                };
                if let Err(e) = f.read_to_end(&mut xml) {
                    return broken(e);
                }
                let mut o = SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                if let Some(t) = f.last_modified() {
                    o = o.last_modified_time(t);
                }
                o
            };
            let filled = rewrite_sheet_xml(&xml, values)?;
            if let Err(e) = out.start_file(name, options) {
                return broken(e);
            }
            if let Err(e) = out.write_all(&filled) {
                return broken(e);
            }
        } else {
            let f = match zip.by_index_raw(i) {
                Ok(f) => f,
                Err(e) => return broken(e),
            };
            if let Err(e) = out.raw_copy_file(f) {
                return broken(e);
            }
        }
    }
    match out.finish() {
        Ok(c) => Ok(c.into_inner()),
        Err(e) => broken(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(11, 2), "C12");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(4, 701), "ZZ5");
        for (r, c) in [(0, 0), (11, 2), (1000, 27), (3, 702)] {
            assert_eq!(parse_ref(&cell_ref(r, c)), Some((r, c)));
        }
        assert_eq!(parse_ref("A0"), None);
        assert_eq!(parse_ref("12"), None);
    }

    #[test]
    fn rewrite_replaces_inserts_and_keeps_the_rest() {
        let xml = br#"<?xml version="1.0"?><worksheet><sheetData><row r="1" spans="1:3"><c r="A1" s="2" t="s"><v>0</v></c><c r="C1" s="5"/></row><row r="3"><c r="B3"><v>7</v></c></row></sheetData><pageSetup paperSize="9"/></worksheet>"#;
        let mut v = BTreeMap::new();
        v.insert((0, 2), "はい".to_string());
        v.insert((0, 1), "a<b".to_string());
        v.insert((1, 0), "新しい行".to_string());
        v.insert((2, 3), "末尾".to_string());
        v.insert((5, 0), "最後".to_string());
        let out = String::from_utf8(rewrite_sheet_xml(xml, &v).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"<?xml version="1.0"?><worksheet><sheetData><row r="1" spans="1:3"><c r="A1" s="2" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t xml:space="preserve">a&lt;b</t></is></c><c r="C1" s="5" t="inlineStr"><is><t xml:space="preserve">はい</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">新しい行</t></is></c></row><row r="3"><c r="B3"><v>7</v></c><c r="D3" t="inlineStr"><is><t xml:space="preserve">末尾</t></is></c></row><row r="6"><c r="A6" t="inlineStr"><is><t xml:space="preserve">最後</t></is></c></row></sheetData><pageSetup paperSize="9"/></worksheet>"#
        );
        // A cell with content is replaced whole, its style kept.
        let xml = br#"<worksheet><sheetData><row r="2"><c r="C2" s="9" t="s"><v>3</v></c></row></sheetData></worksheet>"#;
        let mut v = BTreeMap::new();
        v.insert((1, 2), "いいえ".to_string());
        let out = String::from_utf8(rewrite_sheet_xml(xml, &v).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"<worksheet><sheetData><row r="2"><c r="C2" s="9" t="inlineStr"><is><t xml:space="preserve">いいえ</t></is></c></row></sheetData></worksheet>"#
        );
        assert_eq!(
            rewrite_sheet_xml(xml, &BTreeMap::new()).unwrap(),
            xml.to_vec()
        );
    }
}
