//! Write a synthetic, valid ballot bundle (a test and benchmark fixture; see
//! `yishiting::verify::fixture`):
//!
//! ```text
//! cargo run --release --example make_bundle -- N DIR [--confidential] [--tar-gz FILE]
//! ```
//!
//! N ballots (a tenth of them second votes that supersede a first one), signed with fresh
//! keys, finalised, with 2 of 3 scrutineers' co-signatures. `entries.jsonl` is streamed to
//! disk, so a million ballots need little memory. With `--tar-gz FILE`, also write the
//! bundle as the server serves it (`ballot-7.tar.gz`, entries last).

use std::path::PathBuf;

use anyhow::Context as _;
use yishiting::verify::fixture::{self, Fixture, Spec};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut confidential = false;
    let mut tar_gz: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--confidential" => confidential = true,
            "--tar-gz" => tar_gz = Some(args.next().context("--tar-gz needs a file")?.into()),
            _ => positional.push(a),
        }
    }
    let [n, dir] = positional.as_slice() else {
        anyhow::bail!("usage: make_bundle N DIR [--confidential] [--tar-gz FILE]");
    };
    let n: u64 = n.parse().context("N must be a number")?;
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let started = std::time::Instant::now();
    let mut entries = std::fs::File::create(dir.join("entries.jsonl"))?;
    let f = Fixture::build_to(Spec::new(n, confidential), &mut entries)?;
    f.write_dir(&dir)?;
    eprintln!(
        "wrote {} ({n} ballots) in {:.1?}",
        dir.display(),
        started.elapsed()
    );
    if let Some(out) = tar_gz {
        let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
        fixture::tar_gz_dir(&dir, fixture::BALLOT_ID, file)?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
