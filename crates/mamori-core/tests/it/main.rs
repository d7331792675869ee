//! Catalog tests: item counts and exact texts per edition and variant, pinned here and checked against
//! `../shared/reference/mhlw-checklist.md` when it is present.

mod bcp;
mod catalog;
mod rules_props;
