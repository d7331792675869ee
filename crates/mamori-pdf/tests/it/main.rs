//! The pack template renders Japanese text with the embedded font: text extraction (poppler's pdftotext,
//! when installed) finds the facility, the items and the 和暦 dates; the font is embedded; what a user typed
//! stays text, never markup.

mod pack;
