//! The offline verifier of a ballot bundle (`yishiting verify`, docs/verification.md §11, §12).
//!
//! A bundle (`yishiting/bundle/v1`) is the whole public record of one ballot: a directory,
//! or a gzip-compressed tar archive of one directory `ballot-<id>/`, as the server serves
//! it at `GET /api/v1/ballots/{id}/bundle`. The verifier trusts none of it: it checks every
//! signature against the keys the manifest names, recomputes the Merkle tree, recounts the
//! ballots with the same code as the server ([`crate::domain::tally_record::Recount`]) and
//! compares its recount with the signed tally records field by field.
//!
//! `entries.jsonl` is streamed: only the leaf hashes and the recount's per-voter state are
//! held, and parsing and hashing are spread over the available cores.
//!
//! - [`verify_dir`], [`verify_archive`], [`verify_url`] run every check and return a
//!   [`Report`]; [`Report::render_text`] and [`Report::to_json`] present it.
//! - [`fixture`] builds synthetic valid bundles for tests and benchmarks.

mod checks;
mod election;
mod entries;
pub mod fixture;
mod records;
mod report;
mod source;
mod tally;

use std::path::Path;

pub use report::{Check, Lang, Location, QuestionResult, Report, Text, VerifiedResult};
pub use source::bundle_url;

// ---- elections (docs/verification.md §15) ----
pub use election::{election_address, is_election_target, verify_election, ElectionAddress};

/// The `format` of `bundle.json`.
pub const BUNDLE_FORMAT: &str = "yishiting/bundle/v1";

/// The files of a bundle, in the order an archive should list them: `entries.jsonl` last, so
/// that a verifier reading the archive as a stream has the manifest and the electorate
/// before the entries (an archive in another order is still read, at the cost of a
/// temporary copy of `entries.jsonl`).
pub const BUNDLE_FILES: [&str; 9] = [
    "bundle.json",
    "manifest.json",
    "electorate.json",
    "roll.json",
    "checkpoints.jsonl",
    "tally-preliminary.json",
    "tally-final.json",
    "cosignatures.json",
    "entries.jsonl",
];

/// Verify a bundle directory.
pub fn verify_dir(dir: &Path) -> Report {
    source::verify_dir(dir)
}

/// Verify a bundle archive (`.tar.gz`, or an uncompressed `.tar`) read as a stream.
pub fn verify_archive<R: std::io::Read>(reader: R) -> Report {
    source::verify_archive(reader)
}

/// Verify an archive file.
pub fn verify_archive_file(path: &Path) -> Report {
    match std::fs::File::open(path) {
        Ok(f) => verify_archive(std::io::BufReader::with_capacity(1 << 20, f)),
        Err(e) => Report::failed_to_load(Text::new(
            format!("无法打开 {}：{e}", path.display()),
            format!("cannot open {}: {e}", path.display()),
        )),
    }
}

/// Fetch a bundle over HTTP(S) (see [`bundle_url`] for the addresses accepted) and verify
/// it as it downloads.
pub fn verify_url(url: &str) -> Report {
    source::verify_url(url)
}

/// Verify a command-line target: an `http(s)://` address, a directory or an archive file.
pub fn verify_target(target: &str) -> Report {
    if target.starts_with("http://") || target.starts_with("https://") {
        verify_url(target)
    } else {
        let path = Path::new(target);
        if path.is_dir() {
            verify_dir(path)
        } else {
            verify_archive_file(path)
        }
    }
}

/// Verify a command-line target as a ballot bundle ([`verify_target`]) or, when `election` is
/// set or the target is one ([`is_election_target`]), as an election ([`verify_election`]).
pub fn verify_any(target: &str, election: bool) -> Report {
    if election || is_election_target(target) {
        verify_election(target)
    } else {
        verify_target(target)
    }
}
