//! Every edition and variant: the workbook holds every item text and answer in its cell, and reading it
//! back gives the same answers; a retyped workbook without Mamori's key column reads by item text; bad
//! cells are all named and nothing is returned.

mod checklist_xlsx;
mod edition_workbook;
mod helpers;
mod printing;
mod result_cells;
