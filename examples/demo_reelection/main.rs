//! `scripts/demo-reelection [BASE_URL]`: a whole owners' committee re-election through the
//! API, against the server at BASE_URL (started with `--demo`) or, with no argument, against a
//! server it starts itself on a scratch SQLite database; it ends by running
//! `yishiting verify` on the result and prints the outcome.
//!
//! Settings (environment): `YISHITING_BIN` the yishiting binary (the script passes the one it
//! built), `DEMO_ONLINE` how many owners vote online (default 220, at most the roster less 30, who
//! vote on paper or through a proxy on paper).

mod driver;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context};

/// A server started on a scratch SQLite database; stopped when dropped.
struct Scratch {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &PathBuf) -> anyhow::Result<Scratch> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("demo.sqlite3");
    let mut child = Command::new(bin)
        .arg("--demo")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("YISHITING_DATA_DIR", dir.path().join("data"))
        .env("YISHITING_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut out = BufReader::new(child.stdout.take().context("stdout")?);
    let base = loop {
        let mut line = String::new();
        if out.read_line(&mut line)? == 0 {
            bail!("the server exited before printing its address");
        }
        if line.contains("yishiting: http://") {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                break url.to_owned();
            }
        }
    };
    std::thread::spawn(move || for _ in out.lines() {});
    Ok(Scratch {
        child,
        base,
        _dir: dir,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = PathBuf::from(
        std::env::var("YISHITING_BIN").unwrap_or_else(|_| "target/release/yishiting".into()),
    );
    let online: usize = std::env::var("DEMO_ONLINE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(220);
    let scratch;
    let base = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            scratch = start(&bin)?;
            println!(
                "started a demo server on a scratch SQLite database: {}",
                scratch.base
            );
            scratch.base.clone()
        }
    };
    let outcome = driver::run(&base, online, &bin, &|line| println!("{line}")).await?;
    println!(
        "\n换届选举演示完成 / re-election demo done: {} owners, {} online voters ({} revotes), {} proxy ballots ({} overridden by the owner), {} paper ballots ({} corrected), {} owners counted; election {} (log of {} entries), ballot {}, elected {:?}; verification {}",
        outcome.owners,
        outcome.online_voters,
        outcome.revotes,
        outcome.proxy_ballots,
        outcome.overridden,
        outcome.papers,
        outcome.corrections,
        outcome.participants,
        outcome.election,
        outcome.log_size,
        outcome.ballot,
        outcome.elected,
        if outcome.verified { "PASSED" } else { "FAILED" }
    );
    if !outcome.verified {
        std::process::exit(1);
    }
    Ok(())
}
