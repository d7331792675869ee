//! A check every uploaded xlsx passes before calamine opens it.
//!
//! calamine trusts what a workbook declares: `<sst uniqueCount="100000000000">` makes it reserve that many
//! strings when the book is opened (a 2 KB file aborted the process), a shared string is copied into every
//! cell that refers to it (one 1 MiB string × 1,500 cells took 6 GB), and a small zip can unpack to
//! gigabytes of XML. This module streams the workbook's XML once, with bounded memory, and refuses a file
//! that would go over any of [`Limits`] with a Japanese message. The limits are far above what a checklist
//! or a ledger needs (Excel itself holds at most 32,767 characters in a cell).

use std::io::{BufReader, Cursor, Read, Seek};

use calamine::Reader as _;

use quick_xml::events::Event;

/// What an uploaded workbook may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of all entries unpacked (declared in the zip and as actually inflated).
    pub max_unpacked: u64,
    /// Entries in the zip.
    pub max_entries: usize,
    /// Shared strings (declared and present).
    pub max_shared_strings: u64,
    /// Characters in one cell (Excel's own limit).
    pub max_cell_chars: u64,
    /// Cells with an element in the sheets, all sheets together.
    pub max_cells: u64,
    /// Bytes of text the cells decode to, each reference to a shared string counted again.
    pub max_text_bytes: u64,
    /// Nesting of XML elements.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked: 100_000_000,
            max_entries: 10_000,
            max_shared_strings: 1_000_000,
            max_cell_chars: 32_767,
            max_cells: 2_000_000,
            max_text_bytes: 64 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Opens an uploaded workbook after [`check`]; the error is a message for the user.
/// The start of an OLE2 compound file: an Excel book saved with a password to open (its xlsx is encrypted
/// inside one) or an old .xls.
const OLE2_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Why a file that is an Excel book of another kind cannot be read (a password to open, or .xls).
pub fn protected_or_xls(bytes: &[u8]) -> Option<String> {
    bytes.starts_with(OLE2_MAGIC).then(|| {
        "パスワードで保護された Excel ブック、または古い形式（.xls）のブックです。Excel でパスワードを外し、「Excel ブック（*.xlsx）」として保存してから取り込んでください".to_string()
    })
}

pub fn open(bytes: &[u8]) -> Result<calamine::Xlsx<Cursor<&[u8]>>, String> {
    if let Some(m) = protected_or_xls(bytes) {
        return Err(m);
    }
    check(bytes, &Limits::default())?;
    calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => {
            "パスワードで保護されたブックです。Excel で保護を解除して保存してから取り込んでください"
                .to_string()
        }
        e => format!(
            "Excel（xlsx）ファイルとして読めません（ファイルが壊れている可能性があります）: {}",
            clip(&e.to_string(), 200)
        ),
    })
}

/// Refuses a workbook that would go over `limits` once read. A file that is not a zip passes: the reader
/// that follows says what it is.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    if zip.len() > limits.max_entries {
        return Err(format!(
            "Excel ファイルの中身が多すぎます（{} 個。上限 {} 個）",
            zip.len(),
            limits.max_entries
        ));
    }
    let mut declared: u64 = 0;
    // Every entry's name, lower case ("" for an entry that cannot be read: calamine reports it).
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let name = match zip.by_index_raw(i) {
            Ok(f) => {
                declared = declared.saturating_add(f.size());
                f.name().map(|n| n.to_ascii_lowercase()).unwrap_or_default()
            }
            Err(_) => String::new(),
        };
        names.push(name);
    }
    if declared > limits.max_unpacked {
        return Err(too_big(limits));
    }
    let mut budget = Budget {
        limits,
        unpacked: 0,
        cells: 0,
        text: 0,
    };
    // Parts are found by what they are, not where the workbook's relationships put them (a workbook may
    // live in any folder): every *sharedStrings.xml first, so that the references in every other XML
    // part are counted with the longest string of that number.
    let is_shared = |n: &str| n.ends_with("sharedstrings.xml");
    let mut shared: Vec<u32> = Vec::new();
    for (i, _) in names.iter().enumerate().filter(|(_, n)| is_shared(n)) {
        let lengths = read_entry(&mut zip, i, &mut budget, Part::SharedStrings)?;
        if lengths.len() > shared.len() {
            shared.resize(lengths.len(), 0);
        }
        for (s, l) in shared.iter_mut().zip(lengths) {
            *s = (*s).max(l);
        }
    }
    for (i, name) in names.iter().enumerate() {
        if is_shared(name) || !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        read_entry(&mut zip, i, &mut budget, Part::Sheet(&shared))?;
    }
    Ok(())
}

/// Shortens a value quoted in a message to `max` characters.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => format!("{}…（全{}文字）", &s[..at], s.chars().count()),
    }
}

fn too_big(limits: &Limits) -> String {
    format!(
        "展開すると {} MB を超える大きなファイルです。必要なシートだけを新しいブックに写して保存してから取り込んでください",
        limits.max_unpacked / 1_000_000
    )
}

struct Budget<'a> {
    limits: &'a Limits,
    unpacked: u64,
    cells: u64,
    text: u64,
}

impl Budget<'_> {
    fn add_text(&mut self, n: u64) -> Result<(), String> {
        self.text = self.text.saturating_add(n);
        if self.text > self.limits.max_text_bytes {
            return Err(format!(
                "セルの文字が多すぎます（合計 {} MB を超えます。同じ長い文字を多くのセルが参照している場合も含みます）",
                self.limits.max_text_bytes / (1024 * 1024)
            ));
        }
        Ok(())
    }

    fn add_cell(&mut self) -> Result<(), String> {
        self.cells += 1;
        if self.cells > self.limits.max_cells {
            return Err(format!(
                "セルが多すぎます（{} 個を超えます）。必要な行と列だけを新しいブックに写してから取り込んでください",
                self.limits.max_cells
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Part<'s> {
    SharedStrings,
    /// A worksheet or any other XML part: cells, their text and their references are counted.
    Sheet(&'s [u32]),
}

/// Counts the bytes actually inflated, whatever the zip declares.
struct Counted<'b, 'l, R> {
    inner: R,
    budget: &'b mut Budget<'l>,
    over: bool,
}

impl<R: Read> Read for Counted<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.unpacked += n as u64;
        if self.budget.unpacked > self.budget.limits.max_unpacked {
            self.over = true;
            return Err(std::io::Error::other("unpacked limit"));
        }
        Ok(n)
    }
}

/// Characters in UTF-8 bytes (the bytes that start one).
fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u64
}

/// Streams one XML entry. For the shared strings, returns each string's length in bytes.
fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    budget: &mut Budget<'_>,
    part: Part<'_>,
) -> Result<Vec<u32>, String> {
    let limits = *budget.limits;
    let Ok(file) = zip.by_index(index) else {
        // calamine reports a broken entry when it reads it.
        return Ok(Vec::new());
    };
    let name = file.name().map(|n| n.to_string()).unwrap_or_default();
    let mut counted = Counted {
        inner: file,
        budget,
        over: false,
    };
    let mut shared = Vec::new();
    let result = scan(&mut counted, part, &name, &limits, &mut shared);
    if counted.over {
        return Err(too_big(&limits));
    }
    result.map(|()| shared)
}

fn scan<R: Read>(
    counted: &mut Counted<'_, '_, R>,
    part: Part<'_>,
    name: &str,
    limits: &Limits,
    shared: &mut Vec<u32>,
) -> Result<(), String> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(&mut *counted));
    let mut buf = Vec::new();
    let mut depth = 0usize;
    // Shared strings: the current <si>'s (bytes, characters). Sheets: whether the current cell refers to a
    // shared string, whether inside <v> or <t>, and the cell's characters so far.
    let mut si: Option<(u64, u64)> = None;
    let (mut cell_shared, mut in_value, mut cell_chars) = (false, false, 0u64);
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            // Malformed XML (or the inflate limit, checked by the caller) ends the scan; calamine reports
            // the malformed file in its own words.
            Err(_) => return Ok(()),
        };
        let mut text = 0u64;
        match (&event, part) {
            (Event::Start(e), _) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(format!(
                        "Excel ファイルの XML の入れ子が深すぎます（{}：{} 段を超えます）",
                        clip(name, 64),
                        limits.max_depth
                    ));
                }
                match (part, e.local_name().as_ref()) {
                    (Part::SharedStrings, "sst") => declared_count(e, limits)?,
                    (Part::SharedStrings, "si") => si = Some((0, 0)),
                    (Part::Sheet(_), "c") => {
                        cell_shared = matches!(e.try_get_attribute("t"), Ok(Some(a)) if a.value.as_ref() == "s");
                        cell_chars = 0;
                        xml.get_mut().get_mut().budget.add_cell()?;
                    }
                    (Part::Sheet(_), "v" | "t") => in_value = true,
                    _ => {}
                }
            }
            (Event::Empty(e), _) => match (part, e.local_name().as_ref()) {
                (Part::SharedStrings, "sst") => declared_count(e, limits)?,
                (Part::SharedStrings, "si") => push_shared(shared, 0, limits)?,
                (Part::Sheet(_), "c") => xml.get_mut().get_mut().budget.add_cell()?,
                _ => {}
            },
            (Event::End(e), _) => {
                depth = depth.saturating_sub(1);
                match (part, e.local_name().as_ref()) {
                    (Part::SharedStrings, "si") => {
                        let (bytes, _) = si.take().unwrap_or_default();
                        push_shared(shared, bytes, limits)?;
                    }
                    (Part::Sheet(_), "v" | "t") => in_value = false,
                    (Part::Sheet(_), "c") => cell_shared = false,
                    _ => {}
                }
            }
            (Event::Text(t), Part::SharedStrings) => {
                if let Some((bytes, n)) = si.as_mut() {
                    *bytes += t.len() as u64;
                    *n += chars(t.as_bytes());
                    if *n > limits.max_cell_chars {
                        return Err(long_cell(limits));
                    }
                }
            }
            (Event::Text(t), Part::Sheet(strings)) if in_value => {
                if cell_shared {
                    let index: Option<usize> = t.trim().parse().ok();
                    text = index
                        .and_then(|i| strings.get(i))
                        .map_or(0, |n| u64::from(*n));
                } else {
                    cell_chars += chars(t.as_bytes());
                    if cell_chars > limits.max_cell_chars {
                        return Err(long_cell(limits));
                    }
                    text = t.len() as u64;
                }
            }
            (Event::GeneralRef(_) | Event::CData(_), Part::SharedStrings) => {
                if let Some((bytes, n)) = si.as_mut() {
                    *bytes += 1;
                    *n += 1;
                }
            }
            (Event::Eof, _) => return Ok(()),
            _ => {}
        }
        if text > 0 {
            xml.get_mut().get_mut().budget.add_text(text)?;
        }
        buf.clear();
    }
}

fn long_cell(limits: &Limits) -> String {
    format!(
        "1つのセルの文字が長すぎます（Excel の上限 {} 文字を超えます）",
        limits.max_cell_chars
    )
}

fn declared_count(e: &quick_xml::events::BytesStart<'_>, limits: &Limits) -> Result<(), String> {
    if let Ok(Some(a)) = e.try_get_attribute("uniqueCount") {
        let n: u64 = a.value.trim().parse().unwrap_or(0);
        if n > limits.max_shared_strings {
            return Err(too_many_strings(n, limits));
        }
    }
    Ok(())
}

fn too_many_strings(n: u64, limits: &Limits) -> String {
    format!(
        "Excel ファイルの文字列の数が多すぎます（{n} 件。上限 {} 件）。Excel で開いて保存し直すか、必要なシートだけを新しいブックに写してください",
        limits.max_shared_strings
    )
}

fn push_shared(shared: &mut Vec<u32>, bytes: u64, limits: &Limits) -> Result<(), String> {
    if shared.len() as u64 >= limits.max_shared_strings {
        return Err(too_many_strings(shared.len() as u64 + 1, limits));
    }
    shared.push(u32::try_from(bytes).unwrap_or(u32::MAX));
    Ok(())
}
