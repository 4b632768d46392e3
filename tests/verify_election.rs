//! `yishiting verify` on an election (docs/verification.md §15): a whole election run through
//! the API verifies from its address and from a saved directory; a changed, dropped or
//! reordered leaf fails, and so does a log rewritten and re-signed by a dishonest server
//! whenever it breaks the procedure or misstates the count.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::elections::{create_election, election_log, run_whole_election, Election};
use common::forum::{setup, Forum};
use reqwest::Method;
use serde_json::{json, Value};
use yishiting::crypto::canonical::value_to_jcs;
use yishiting::crypto::note;
use yishiting::domain::merkle;
use yishiting::verify::{self, Lang, Report};

const BIN: &str = env!("CARGO_BIN_EXE_yishiting");

/// Run the binary off the test's runtime, which keeps serving the test server meanwhile.
async fn cli(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(BIN).args(&args).output().unwrap())
        .await
        .unwrap()
}

async fn verify_election(target: String) -> Report {
    tokio::task::spawn_blocking(move || verify::verify_election(&target))
        .await
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// The failed check `id`, with the whole report in the message when there is none.
fn failed<'a>(r: &'a Report, id: &str) -> &'a verify::Check {
    r.failure(id)
        .unwrap_or_else(|| panic!("{id} did not fail:\n{}", r.render_text(Lang::En)))
}

fn passed(r: &Report, id: &str) {
    assert!(
        r.checks.iter().any(|c| c.id == id && c.ok) && r.failure(id).is_none(),
        "{id} did not pass:\n{}",
        r.render_text(Lang::En)
    );
}

/// The leaves of a log as JSON values.
fn leaves(log: &Value) -> Vec<Value> {
    log["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l.as_str().unwrap()).unwrap())
        .collect()
}

/// Put leaves (as values, canonicalised) back into a log, keeping its checkpoint.
fn with_leaves(log: &Value, leaves: &[Value]) -> Value {
    let mut log = log.clone();
    log["leaves"] = leaves
        .iter()
        .map(|v| Value::String(String::from_utf8(value_to_jcs(v).unwrap()).unwrap()))
        .collect();
    log
}

/// What a dishonest server could serve: the leaves re-signed under a key of its own.
fn resigned(log: &Value, leaves: &[Value]) -> Value {
    let mut log = with_leaves(log, leaves);
    let origin = log["origin"].as_str().unwrap().to_owned();
    let hashes: Vec<merkle::Hash> = log["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| merkle::leaf_hash(l.as_str().unwrap().as_bytes()))
        .collect();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let body = note::checkpoint_body(&origin, hashes.len() as u64, &merkle::root_of(&hashes));
    log["checkpoint"] = json!(note::sign_note(&body, &origin, &key).unwrap());
    log["verifier_key"] = json!(note::verifier_key(&origin, &key.verifying_key().to_bytes()));
    log["size"] = json!(hashes.len());
    log
}

/// A saved election: the log and the ballot's bundle as downloaded.
struct Saved {
    log: Value,
    bundle: Vec<u8>,
    ballot: i64,
}

impl Saved {
    async fn of(t: &Forum, e: &Election) -> Saved {
        let res = t
            .app
            .get(&format!("/api/v1/ballots/{}/bundle", e.ballot))
            .await;
        assert_eq!(res.status(), 200);
        Saved {
            log: election_log(t, e.id).await,
            bundle: res.bytes().await.unwrap().to_vec(),
            ballot: e.ballot,
        }
    }

    /// A directory with `log` as `log.json` and the bundle beside it.
    fn write(&self, log: &Value) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("log.json"), log.to_string()).unwrap();
        let name = format!("ballot-{}.tar.gz", self.ballot);
        std::fs::write(dir.path().join(name), &self.bundle).unwrap();
        dir
    }

    fn verify(&self, log: &Value) -> Report {
        let dir = self.write(log);
        verify::verify_election(dir.path().to_str().unwrap())
    }
}

fn unpack(archive: &[u8], into: &Path) {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    ar.unpack(into).unwrap();
}

#[tokio::test]
async fn a_whole_election_verifies_and_every_tampering_is_named() {
    let t = setup().await;
    let e = run_whole_election(&t).await;

    // From the election's page address, with the binary: a readable report and exit 0.
    let page = t.app.url(&format!("/c/sanyijing/elections/{}", e.id));
    let out = cli(vec![
        "verify".into(),
        page.clone(),
        "--lang".into(),
        "en".into(),
    ])
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for needle in [
        "yishiting election verification",
        "[election.steps]",
        "[election.certified]",
        "elected members: o1 张*, o2 王*",
        "the election has reached: Filed (16 leaves)",
        "Verified: every check passed.",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    // With the election's key as posted with the announcement (not the ballot's key): pinned.
    let log: Value = t
        .app
        .get(&format!(
            "/api/v1/communities/sanyijing/elections/{}/log",
            e.id
        ))
        .await
        .json()
        .await
        .unwrap();
    let posted = log["verifier_key"].as_str().unwrap().to_owned();
    let out = cli(vec![
        "verify".into(),
        page.clone(),
        "--key".into(),
        posted.clone(),
        "--lang".into(),
        "en".into(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("[key.pinned]"),
        "{}",
        text(&out.stdout)
    );
    let out = cli(vec![
        "verify".into(),
        page.clone(),
        "--key".into(),
        posted.replacen('+', "+1", 1),
    ])
    .await;
    assert!(
        !out.status.success(),
        "a key other than the posted one fails"
    );
    // In Chinese and as JSON; from the API address of the log too.
    let api = t.app.url(&format!(
        "/api/v1/communities/sanyijing/elections/{}/log",
        e.id
    ));
    let out = cli(vec!["verify".into(), api, "--json".into(), "-".into()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("核验通过"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "election.source",
        "election.key",
        "election.checkpoint",
        "election.root",
        "election.leaves",
        "election.steps",
        "election.ballot",
        "election.counted",
        "election.certified",
    ] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    assert!(report["summary"][1].as_str().unwrap().contains("张*"));
    // A scrutineer's co-signing is for ballots only.
    let out = cli(vec![
        "verify".into(),
        page.clone(),
        "--sign-with".into(),
        "key.json".into(),
    ])
    .await;
    assert!(!out.status.success());

    // Saved to a directory (log.json and ballot-<id>.tar.gz), it verifies offline.
    let saved = Saved::of(&t, &e).await;
    let r = saved.verify(&saved.log);
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    let dir = saved.write(&saved.log);
    let out = cli(vec![
        "verify".into(),
        "--election".into(),
        dir.path().join("log.json").to_str().unwrap().into(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    let l = leaves(&saved.log);
    assert_eq!(l.len(), 16);
    assert_eq!(l[7]["type"], "reviewed");

    // 1. A changed leaf: the root no longer matches the signed checkpoint.
    let mut changed = l.clone();
    changed[7]["reason"] = json!("符合候选人条件");
    let r = saved.verify(&with_leaves(&saved.log, &changed));
    let c = failed(&r, "election.root");
    assert!(c.detail.en.contains("altered"), "{:?}", c.detail);
    passed(&r, "election.leaves");
    // The command line says so and exits non-zero.
    let dir = saved.write(&with_leaves(&saved.log, &changed));
    let out = cli(vec![
        "verify".into(),
        dir.path().to_str().unwrap().into(),
        "--lang".into(),
        "en".into(),
    ])
    .await;
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("✗ [election.root]"), "{stdout}");
    assert!(stdout.contains("NOT verified"), "{stdout}");

    // 2. A dropped leaf (the answer to the objection): the checkpoint covers one more.
    let mut dropped = l.clone();
    dropped.remove(10);
    let r = saved.verify(&with_leaves(&saved.log, &dropped));
    let c = failed(&r, "election.checkpoint");
    assert!(
        c.detail.en.contains("covers 16 leaves, the log has 15"),
        "{:?}",
        c.detail
    );
    failed(&r, "election.root");
    // And the vote opened with the objection unanswered.
    let c = failed(&r, "election.steps");
    assert_eq!(c.at.as_ref().unwrap().leaf, Some(10));
    assert!(c.detail.en.starts_with("voting_opened:"), "{:?}", c.detail);

    // 3. Leaves out of order (the count before the vote opened).
    let mut swapped = l.clone();
    swapped.swap(11, 12);
    let r = saved.verify(&with_leaves(&saved.log, &swapped));
    failed(&r, "election.root");
    let c = failed(&r, "election.leaves");
    assert_eq!(c.at.as_ref().unwrap().leaf, Some(12));
    assert!(c.detail.en.contains("out of order"), "{:?}", c.detail);
    let c = failed(&r, "election.steps");
    assert!(c.detail.en.starts_with("counted:"), "{:?}", c.detail);

    // A dishonest server re-signing what it rewrote passes the log checks (only the key on
    // the posted notice tells its key apart), but not the procedure or the count.
    // A late nomination, dated after the list was published:
    let mut late = l.clone();
    let mut nomination = late.remove(4);
    nomination["at"] = l[8]["at"].clone();
    late.insert(8, nomination);
    let r = saved.verify(&resigned(&saved.log, &late));
    passed(&r, "election.root");
    passed(&r, "election.checkpoint");
    // Its review now comes first, and the nomination itself after the window:
    let steps: Vec<&verify::Check> = r.failures().filter(|c| c.id == "election.steps").collect();
    assert!(steps[0].detail.en.contains("never recorded"), "{steps:?}");
    let c = steps
        .iter()
        .find(|c| c.detail.en.starts_with("nominated:"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    assert_eq!(c.at.as_ref().unwrap().leaf, Some(8));
    assert!(c.detail.zh.contains("提名"), "{:?}", c.detail);
    // A certified result that is not the record's:
    let mut misstated = l.clone();
    misstated[13]["result"]["elected"] = json!(["o2", "o1"]);
    let r = saved.verify(&resigned(&saved.log, &misstated));
    passed(&r, "election.root");
    passed(&r, "election.counted");
    let c = failed(&r, "election.certified");
    assert!(c.detail.en.contains("result.elected[0]"), "{:?}", c.detail);
    // A preliminary result naming another record:
    let mut other = l.clone();
    other[12]["tally_record_sha256"] = json!("00".repeat(32));
    let r = saved.verify(&resigned(&saved.log, &other));
    let c = failed(&r, "election.counted");
    assert!(c.detail.en.contains("SHA-256"), "{:?}", c.detail);
    // Anything after the filing:
    let mut more = l.clone();
    let mut cancel = l[15].clone();
    cancel["type"] = json!("cancelled");
    cancel.as_object_mut().unwrap().remove("on_time");
    cancel["reason"] = json!("事后取消");
    more.push(cancel);
    let r = saved.verify(&resigned(&saved.log, &more));
    let c = failed(&r, "election.steps");
    assert!(c.detail.en.contains("nothing may follow"), "{:?}", c.detail);
    // A leaf of another election spliced in:
    let mut spliced = l.clone();
    spliced[3]["election"] = json!(e.id + 1);
    let r = saved.verify(&resigned(&saved.log, &spliced));
    let c = failed(&r, "election.leaves");
    assert_eq!(c.at.as_ref().unwrap().field.as_deref(), Some("election"));

    // The ballot's bundle is needed, and is verified in full: a missing one, or a final
    // record altered in it, fails.
    let dir = saved.write(&saved.log);
    let archive = dir.path().join(format!("ballot-{}.tar.gz", e.ballot));
    std::fs::remove_file(&archive).unwrap();
    let r = verify::verify_election(dir.path().to_str().unwrap());
    let c = failed(&r, "election.ballot");
    assert!(
        c.detail.en.contains("no bundle of ballot"),
        "{:?}",
        c.detail
    );
    unpack(&saved.bundle, dir.path());
    let r = verify::verify_election(dir.path().to_str().unwrap());
    assert!(r.ok(), "an unpacked bundle: {}", r.render_text(Lang::En));
    let final_path = dir
        .path()
        .join(format!("ballot-{}/tally-final.json", e.ballot));
    let mut fin: Value = serde_json::from_slice(&std::fs::read(&final_path).unwrap()).unwrap();
    fin["record"]["finalised_at"] = json!(fin["record"]["finalised_at"].as_i64().unwrap() + 1);
    std::fs::write(&final_path, fin.to_string()).unwrap();
    let r = verify::verify_election(dir.path().to_str().unwrap());
    let c = failed(&r, "election.ballot");
    assert!(
        c.detail.en.contains("[tally.final.signature]"),
        "{}",
        r.render_text(Lang::En)
    );
    let c = failed(&r, "election.certified");
    assert!(c.detail.en.contains("SHA-256"), "{:?}", c.detail);

    // Addresses that are not an election's are refused clearly.
    let r = verify_election(t.app.url("/c/sanyijing/elections/999999")).await;
    let c = failed(&r, "election.source");
    assert!(c.detail.en.contains("cannot download"), "{:?}", c.detail);
}

#[tokio::test]
async fn a_cancelled_election_verifies() {
    let t = setup().await;
    let id = create_election(&t, "首届业主委员会选举").await;
    t.json(
        Method::POST,
        &format!("/elections/{id}/cancellation"),
        &t.f.organiser,
        Some(json!({"reason": "筹备组改组"})),
        200,
    )
    .await;
    let r = verify_election(t.app.url(&format!("/c/sanyijing/elections/{id}"))).await;
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    let text = r.render_text(Lang::Zh);
    assert!(text.contains("选举进行到：已取消（2 条记录）"), "{text}");
    assert!(text.contains("核验通过"), "{text}");
    // A log saved without a ballot (voting not opened yet) verifies from a directory.
    let other = create_election(&t, "另一次选举").await;
    let log = election_log(&t, other).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("log.json"), log.to_string()).unwrap();
    let r = verify::verify_election(dir.path().to_str().unwrap());
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    assert_eq!(leaves(&log).len(), 1);
}
