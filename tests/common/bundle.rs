//! Bundle helpers for tests/verify.rs: a small synthetic bundle, tampering and the command.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use yishiting::crypto::canonical::value_to_jcs;
use yishiting::domain::tally_record::Cosignature;
use yishiting::verify::fixture::{Fixture, Spec};
use yishiting::verify::{self, Check, Lang, Report};

/// 36 leaves by 30 voters (6 second votes), 33 voters in the electorate, open mode.
pub fn spec(confidential: bool) -> Spec {
    Spec {
        participants: 30,
        electorate: 33,
        ..Spec::new(36, confidential)
    }
}

pub fn open() -> Fixture {
    Fixture::build(spec(false)).unwrap()
}

pub fn run(f: &Fixture) -> Report {
    let dir = tempfile::tempdir().unwrap();
    f.write_dir(dir.path()).unwrap();
    verify::verify_dir(dir.path())
}

pub fn failed<'a>(r: &'a Report, id: &str) -> &'a Check {
    assert!(!r.ok(), "expected a failure");
    r.failure(id)
        .unwrap_or_else(|| panic!("expected check {id} to fail:\n{}", r.render_text(Lang::En)))
}

pub fn at(c: &Check) -> (String, Option<u64>, Option<String>) {
    let l = c.at.clone().expect("a location");
    (l.file, l.leaf.or(l.line), l.field)
}

pub fn jcs_line(v: &Value) -> String {
    String::from_utf8(value_to_jcs(v).unwrap()).unwrap()
}

/// Change leaf `i` with `edit`, keeping it canonical; `resign` re-signs the checkpoints.
pub fn edit_leaf(f: &mut Fixture, i: usize, resign: bool, edit: impl FnOnce(&mut Value)) {
    let mut lines = f.entry_lines();
    let mut v: Value = serde_json::from_str(&lines[i]).unwrap();
    edit(&mut v);
    lines[i] = jcs_line(&v);
    f.set_entry_lines(&lines, resign).unwrap();
}

pub fn cosigs(f: &Fixture) -> Vec<Cosignature> {
    serde_json::from_value(f.json("cosignatures.json")).unwrap()
}

pub fn set_cosigs(f: &mut Fixture, list: &[Cosignature]) {
    f.set_json("cosignatures.json", &serde_json::to_value(list).unwrap())
        .unwrap();
}

pub fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_yishiting"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
