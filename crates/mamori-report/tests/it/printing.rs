//! The checklist printed through LibreOffice: every item on the page and no line over another.

use mamori_core::answers::AnswerSet;
use mamori_core::catalog::Catalog;

use crate::helpers::*;

/// A text line of a PDF page as `pdftotext -bbox-layout` gives it.
#[derive(Debug)]
pub(crate) struct PdfLine {
    pub(crate) page: usize,
    pub(crate) x: (f64, f64),
    pub(crate) y: (f64, f64),
    pub(crate) text: String,
}

pub(crate) fn attr(tag: &str, name: &str) -> f64 {
    let i = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    tag[i..tag[i..].find('"').unwrap() + i].parse().unwrap()
}

/// The text lines of a PDF with their boxes, from poppler's XHTML.
pub(crate) fn pdf_lines(pdf: &std::path::Path) -> Vec<PdfLine> {
    let out = std::process::Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    let mut lines = Vec::new();
    let mut page = 0;
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
        } else if part.starts_with("line ") {
            lines.push(PdfLine {
                page,
                x: (attr(part, "xMin"), attr(part, "xMax")),
                y: (attr(part, "yMin"), attr(part, "yMax")),
                text: String::new(),
            });
        } else if let Some(w) = part.strip_prefix("word ") {
            let word = w.split_once('>').map_or("", |(_, t)| t);
            if let Some(l) = lines.last_mut() {
                l.text.push_str(word);
            }
        }
    }
    lines
}

/// The checklist as LibreOffice Calc opens and prints it: every line of every cell is on the page and
/// no line is drawn over another (a row too low for its wrapped text makes lines run into the next row).
#[test]
fn the_checklist_prints_in_libreoffice_with_every_line_readable() {
    let have = |cmd: &str, flag: &str| {
        std::process::Command::new(cmd)
            .arg(flag)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("soffice", "--version") || !have("pdftotext", "-v") {
        // CI installs both (.ci/run): there a missing tool is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs libreoffice-calc and poppler-utils"
        );
        println!(
            "SKIP: LibreOffice (libreoffice-calc) or pdftotext is not installed; the print is not checked"
        );
        return;
    }
    let catalog = Catalog::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for form in catalog.forms() {
        let answers = AnswerSet::new(answers_for(&catalog, form));
        let xlsx = dir
            .path()
            .join(format!("{}-{:?}.xlsx", form.edition, form.variant));
        std::fs::write(&xlsx, export(&catalog, form, &answers)).unwrap();
        files.push(xlsx);
    }
    // One LibreOffice for every form (its start-up is most of the time).
    let out = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/lo",
            dir.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (form, xlsx) in catalog.forms().iter().zip(&files) {
        let pdf = xlsx.with_extension("pdf");
        let lines = pdf_lines(&pdf);
        assert!(lines.len() > 50, "{}: {} lines", form.title, lines.len());
        // Every item's text is printed, whole.
        let all: String = lines.iter().map(|l| l.text.as_str()).collect();
        for (item, _) in form.rows() {
            let start: String = item
                .text
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(20)
                .collect();
            assert!(
                all.contains(&start),
                "{}: {} is not printed",
                form.title,
                item.id
            );
        }
        // No two lines overlap on a page.
        for (i, a) in lines.iter().enumerate() {
            for b in &lines[i + 1..] {
                let overlap = a.page == b.page
                    && a.x.0 < b.x.1 - 1.0
                    && b.x.0 < a.x.1 - 1.0
                    && a.y.0 < b.y.1 - 1.5
                    && b.y.0 < a.y.1 - 1.5;
                assert!(
                    !overlap,
                    "{}: lines drawn over each other:\n{a:?}\n{b:?}",
                    form.title
                );
            }
        }
        if let Ok(keep) = std::env::var("MAMORI_KEEP_PRINT") {
            std::fs::copy(
                &pdf,
                std::path::Path::new(&keep)
                    .join(format!("{}-{:?}.pdf", form.edition, form.variant)),
            )
            .unwrap();
        }
    }
}
