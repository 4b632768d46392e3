//! `scripts/demo-reelection`'s driver against a real server process started with `--demo`, on
//! SQLite and (with YISHITING_TEST_POSTGRES_URL) on PostgreSQL: the whole re-election runs
//! through the API and its ballot verifies with `yishiting verify`.

mod common;

#[path = "../examples/demo_reelection/driver.rs"]
mod driver;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_yishiting");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_reelection_runs_and_verifies() {
    let db = common::TestDb::new();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--demo")
        .env("DATABASE_URL", db.url.target.clone())
        .env("YISHITING_DATA_DIR", data.path())
        .env("YISHITING_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn yishiting --demo");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let base = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "no address printed");
        if line.contains("yishiting: http://") {
            break line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .unwrap()
                .to_owned();
        }
    };
    std::thread::spawn(move || for _ in out.lines() {});
    let result = driver::run(&base, 180, std::path::Path::new(BIN), &|line| {
        println!("{line}")
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let outcome = result.expect("the demo runs to the end");
    assert!(
        outcome.owners >= 100,
        "a few hundred owners: {}",
        outcome.owners
    );
    assert_eq!(outcome.online_voters, 180);
    assert!(outcome.election > 0 && outcome.ballot > 0);
    assert!(outcome.revotes > 0);
    // Six owners' proxies voted online, one under a paper authorisation; one owner's own vote
    // overrode their proxy's.
    assert_eq!(outcome.proxy_ballots, 7, "{outcome:?}");
    assert_eq!(outcome.overridden, 1);
    // Twelve papers of owners without a ballot and one revote on paper, one corrected.
    assert_eq!(
        (outcome.papers, outcome.corrections),
        (13, 1),
        "{outcome:?}"
    );
    // Everyone who voted online or had a proxy vote, the paper proxy, the twelve papers.
    assert!(outcome.participants >= 170 + 1 + 12, "{outcome:?}");
    // With 180 of ~250 owners voting, participation passes and the popular candidates are
    // elected; the log holds 1 group, 1 announcement, 11 nominations, 11 reviews, the list, an
    // objection and its answer, voting, the count, the result, the first meeting, the filing.
    assert!(outcome.elected.len() >= 2, "{outcome:?}");
    assert_eq!(outcome.log_size, 32, "{outcome:?}");
    assert!(outcome.verified, "yishiting verify failed: {outcome:?}");
}
