//! The offline verifier (`yishiting verify`) against valid and tampered bundles: each
//! tampering must fail, and the report must name the check and where.

mod common;

use std::io::{Read, Write};

use common::bundle::*;
use serde_json::{json, Value};
use yishiting::crypto::canonical::value_to_jcs;
use yishiting::crypto::scrutineer_key::{verify_cosignature, ScrutineerKey};
use yishiting::domain::tally_record::Cosignature;
use yishiting::verify::fixture::{self, Fixture, Spec};
use yishiting::verify::{self, Lang};

#[test]
fn valid_bundles_verify_from_a_directory_and_an_archive() {
    let f = open();
    let r = run(&f);
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    let text = r.render_text(Lang::Zh);
    assert!(text.contains("核验通过"), "{text}");
    assert!(
        text.contains("6 次"),
        "superseded ballots are counted: {text}"
    );
    let result = r.result.as_ref().unwrap();
    assert_eq!((result.cast, result.counted), (36, 30));
    assert_eq!(result.questions.len(), 3);
    for id in [
        "manifest.signature",
        "electorate.hash",
        "entries",
        "roll",
        "log.root",
        "checkpoints",
        "tally.preliminary.recount",
        "tally.final.content",
        "cosignatures",
    ] {
        assert!(r.checks.iter().any(|c| c.id == id && c.ok), "{id}");
    }
    let archive = f.tar_gz().unwrap();
    let r = verify::verify_archive(archive.as_slice());
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    let json = r.to_json(Lang::En);
    assert_eq!(json["ok"], true);
    assert!(json["result"]["questions"][0]["words"].is_string());
}

#[test]
fn a_valid_confidential_bundle_verifies() {
    let f = Fixture::build(spec(true)).unwrap();
    let r = run(&f);
    assert!(r.ok(), "{}", r.render_text(Lang::En));
    let roll = r.checks.iter().find(|c| c.id == "roll").unwrap();
    assert!(roll.detail.en.contains("multiset"), "{:?}", roll.detail);
}

#[test]
fn an_archive_listing_the_entries_first_still_verifies() {
    let f = open();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut names: Vec<&String> = f.files.keys().collect();
    names.sort_by_key(|n| *n != "entries.jsonl");
    for name in names {
        let bytes = &f.files[name];
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, format!("ballot-7/{name}"), bytes.as_slice())
            .unwrap();
    }
    let archive = tar.into_inner().unwrap().finish().unwrap();
    let r = verify::verify_archive(archive.as_slice());
    assert!(r.ok(), "{}", r.render_text(Lang::En));
}

#[test]
fn a_truncated_archive_is_named() {
    let archive = open().tar_gz().unwrap();
    for keep in [archive.len() * 3 / 5, archive.len() - 10] {
        let r = verify::verify_archive(&archive[..keep]);
        let c = failed(&r, "bundle");
        assert!(
            c.detail.en.contains("truncated") || c.detail.en.contains("missing"),
            "{}",
            r.render_text(Lang::En)
        );
    }
}

#[test]
fn a_missing_file_is_named() {
    let mut f = open();
    f.files.remove("roll.json");
    let r = run(&f);
    let c = failed(&r, "bundle");
    assert_eq!(at(c).0, "roll.json");
    assert!(c.detail.en.contains("missing"));
}

#[test]
fn an_altered_leaf_breaks_the_root_and_when_re_signed_the_recount() {
    let mut f = open();
    let flip = |v: &mut Value| {
        let c = v["answers"][0]["choices"][0].as_str().unwrap();
        let other = if c == "agree" { "disagree" } else { "agree" };
        v["answers"][0]["choices"] = json!([other]);
    };
    edit_leaf(&mut f, 35, false, flip);
    let r = run(&f);
    let c = failed(&r, "log.root");
    assert_eq!(at(c).0, "entries.jsonl");
    assert!(c.detail.en.contains("Merkle root"), "{:?}", c.detail);
    // The server re-signs its checkpoints over the altered log: the recount still differs.
    let mut f = open();
    edit_leaf(&mut f, 35, true, flip);
    let r = run(&f);
    assert!(
        r.failure("log.root").is_none(),
        "{}",
        r.render_text(Lang::En)
    );
    let c = failed(&r, "tally.preliminary.recount");
    assert!(
        c.detail.en.starts_with("questions[0].options["),
        "{:?}",
        c.detail
    );
    assert!(failed(&r, "tally.preliminary.references")
        .detail
        .en
        .contains("checkpoint"));
}

#[test]
fn a_non_canonical_leaf_is_named() {
    let mut f = open();
    let mut lines = f.entry_lines();
    lines[3] = lines[3].replacen('{', "{ ", 1);
    f.set_entry_lines(&lines, true).unwrap();
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(at(c), ("entries.jsonl".into(), Some(3), None));
    assert!(c.detail.en.contains("canonical"), "{:?}", c.detail);
    assert_eq!(c.at.as_ref().unwrap().line, Some(4));
}

#[test]
fn reordered_entries_break_the_root() {
    let mut f = open();
    let mut lines = f.entry_lines();
    lines.swap(2, 3);
    f.set_entry_lines(&lines, false).unwrap();
    let r = run(&f);
    assert!(failed(&r, "log.root").detail.en.contains("Merkle root"));
    assert!(failed(&r, "checkpoints").detail.en.contains("fork"));
}

#[test]
fn a_dropped_entry_is_named() {
    let mut f = open();
    let mut lines = f.entry_lines();
    lines.remove(10);
    f.set_entry_lines(&lines, false).unwrap();
    let r = run(&f);
    let c = failed(&r, "log.root");
    assert!(
        c.detail.en.contains("covers 36 entries, the file has 35"),
        "{:?}",
        c.detail
    );
    assert!(r.failures().any(|c| c.id == "checkpoints"
        && c.at.as_ref().unwrap().line == Some(6)
        && c.detail
            .en
            .contains("tree size 36 is larger than the 35 entries")));
}

#[test]
fn a_leaf_with_the_wrong_weights_is_named() {
    let mut f = open();
    edit_leaf(&mut f, 4, true, |v| {
        v["area_centi"] = json!(v["area_centi"].as_i64().unwrap() + 100)
    });
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(
        at(c),
        ("entries.jsonl".into(), Some(4), Some("area_centi".into()))
    );
    assert!(c.detail.en.contains("the snapshot has"), "{:?}", c.detail);
}

#[test]
fn a_voter_outside_the_electorate_is_named() {
    let mut f = open();
    edit_leaf(&mut f, 7, true, |v| v["voter"] = json!(999));
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(
        at(c),
        ("entries.jsonl".into(), Some(7), Some("voter".into()))
    );
    assert!(c.detail.en.contains("voter 999 is not in the electorate"));
}

#[test]
fn a_record_counting_a_superseded_ballot_fails_the_recount() {
    let mut f = open();
    let mut rec = f.record("tally-preliminary.json").unwrap();
    rec.ballots.counted += 1;
    rec.ballots.superseded -= 1;
    let signed = f.sign_record(&rec).unwrap();
    f.files.insert("tally-preliminary.json".into(), signed);
    let r = run(&f);
    assert!(r.failure("tally.preliminary.signature").is_none());
    let c = failed(&r, "tally.preliminary.recount");
    assert_eq!(at(c).2.as_deref(), Some("record.ballots.counted"));
    assert!(
        c.detail
            .en
            .contains("ballots.counted: record 31, recount 30"),
        "{:?}",
        c.detail
    );
}

#[test]
fn a_re_signed_record_with_a_wrong_count_names_the_path() {
    let mut f = open();
    let mut rec = f.record("tally-preliminary.json").unwrap();
    let n = rec.questions[1].options[0].approving.headcount;
    rec.questions[1].options[0].approving.headcount = n + 1;
    let signed = f.sign_record(&rec).unwrap();
    f.files.insert("tally-preliminary.json".into(), signed);
    let r = run(&f);
    let c = failed(&r, "tally.preliminary.recount");
    let want = format!(
        "questions[1].options[0].approving.headcount: record {}, recount {n}",
        n + 1
    );
    assert!(c.detail.en.contains(&want), "{:?}", c.detail);
    // The final record no longer follows from the preliminary one either.
    assert!(failed(&r, "tally.final.content")
        .detail
        .en
        .contains("preliminary_sha256"));
}

#[test]
fn a_record_altered_without_re_signing_fails_its_signature() {
    let mut f = open();
    let mut v = f.json("tally-preliminary.json");
    let n = v["record"]["questions"][0]["options"][0]["approving"]["headcount"]
        .as_i64()
        .unwrap();
    v["record"]["questions"][0]["options"][0]["approving"]["headcount"] = json!(n + 1);
    f.set_json("tally-preliminary.json", &v).unwrap();
    let r = run(&f);
    let c = failed(&r, "tally.preliminary.signature");
    assert_eq!(
        at(c),
        (
            "tally-preliminary.json".into(),
            None,
            Some("signature".into())
        )
    );
}

#[test]
fn the_confidential_multiset_check_catches_changed_weights() {
    let mut f = Fixture::build(spec(true)).unwrap();
    // The last leaf is its voter's effective ballot.
    edit_leaf(&mut f, 35, true, |v| v["area_centi"] = json!(12_345));
    let r = run(&f);
    assert!(
        r.failure("entries").is_none(),
        "{}",
        r.render_text(Lang::En)
    );
    let c = failed(&r, "roll");
    assert!(c.detail.en.contains("multiset"), "{:?}", c.detail);
    assert_eq!(at(c).0, "roll.json");
}

#[test]
fn a_manifest_signed_with_another_key_fails() {
    let mut f = open();
    let other = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
    let signed = f.sign_manifest(&other).unwrap();
    f.files.insert("manifest.json".into(), signed);
    let r = run(&f);
    let c = failed(&r, "manifest.signature");
    assert_eq!(
        at(c),
        ("manifest.json".into(), None, Some("signature".into()))
    );

    // The whole manifest moved to another key: it verifies, but nothing the ballot key
    // signed does.
    let mut f = open();
    let pk = other.verifying_key().to_bytes();
    let mut m = f.json("manifest.json")["manifest"].clone();
    m["public_key"] = json!(yishiting::crypto::b64(&pk));
    m["verifier_key"] = json!(yishiting::crypto::note::verifier_key(fixture::ORIGIN, &pk));
    let signed = fixture::sign_manifest_value(&m, &other).unwrap();
    f.files.insert("manifest.json".into(), signed);
    let r = run(&f);
    assert!(r.failure("manifest.signature").is_none());
    let c = failed(&r, "checkpoints");
    assert_eq!(at(c), ("checkpoints.jsonl".into(), Some(1), None));
    failed(&r, "tally.preliminary.signature");
    failed(&r, "tally.preliminary.references");
}

#[test]
fn an_altered_snapshot_fails_its_hash() {
    let mut f = open();
    let mut e = f.json("electorate.json");
    e["voters"][2]["area_centi"] = json!(1);
    let bytes = value_to_jcs(&e).unwrap();
    f.files.insert("electorate.json".into(), bytes);
    let r = run(&f);
    let c = failed(&r, "electorate.hash");
    assert_eq!(at(c).0, "electorate.json");
    let c = failed(&r, "electorate.content");
    assert_eq!(at(c).2.as_deref(), Some("area_centi"));
    // Leaf 2 (voter 2) now disagrees with the snapshot.
    let c = failed(&r, "entries");
    assert_eq!(
        at(c),
        ("entries.jsonl".into(), Some(2), Some("area_centi".into()))
    );
}

#[test]
fn a_forking_checkpoint_is_named_with_its_size() {
    let mut f = open();
    let forged = f.checkpoint_line(3, &[7u8; 32]).unwrap();
    let mut text = forged.into_bytes();
    text.extend_from_slice(&f.files["checkpoints.jsonl"]);
    f.files.insert("checkpoints.jsonl".into(), text);
    let r = run(&f);
    let c = failed(&r, "checkpoints");
    assert_eq!(at(c), ("checkpoints.jsonl".into(), Some(1), None));
    assert!(
        c.detail.en.contains("fork: the checkpoint for size 3"),
        "{:?}",
        c.detail
    );
}

#[test]
fn a_forged_checkpoint_signature_is_named() {
    let mut f = open();
    let text = String::from_utf8(f.files["checkpoints.jsonl"].clone()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let note: String = serde_json::from_str(&lines[1]).unwrap();
    let mut parts: Vec<&str> = note.split('\n').collect();
    parts[1] = "2"; // another size under the same signature
    let forged = parts.join("\n");
    lines[1] = serde_json::to_string(&forged).unwrap();
    f.files.insert(
        "checkpoints.jsonl".into(),
        (lines.join("\n") + "\n").into_bytes(),
    );
    let r = run(&f);
    let c = failed(&r, "checkpoints");
    assert_eq!(at(c), ("checkpoints.jsonl".into(), Some(2), None));
    assert!(c.detail.en.contains("signature"), "{:?}", c.detail);
}

#[test]
fn a_forged_co_signature_is_named() {
    let mut f = open();
    let sha = fixture::record_sha256(&f.record("tally-final.json").unwrap()).unwrap();
    let mut list = cosigs(&f);
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    list[1].signature = fixture::cosign_with(&stranger, &sha);
    set_cosigs(&mut f, &list);
    let r = run(&f);
    let c = failed(&r, "cosignatures");
    assert_eq!(
        at(c),
        (
            "cosignatures.json".into(),
            None,
            Some("[1].signature".into())
        )
    );
}

#[test]
fn a_duplicated_co_signature_is_named() {
    let mut f = open();
    let mut list = cosigs(&f);
    list.push(list[0].clone());
    set_cosigs(&mut f, &list);
    let r = run(&f);
    let c = failed(&r, "cosignatures");
    assert_eq!(at(c).2.as_deref(), Some("[2].scrutineer"));
    assert!(c.detail.en.contains("twice"));
}

#[test]
fn a_co_signature_by_a_key_outside_the_manifest_is_named() {
    let mut f = open();
    let sha = fixture::record_sha256(&f.record("tally-final.json").unwrap()).unwrap();
    let stranger = ScrutineerKey::from_seed(&[6u8; 32]);
    let mut list = cosigs(&f);
    list.push(Cosignature {
        scrutineer: 2,
        name: f.manifest.scrutineers[2].name.clone(),
        public_key: stranger.public_key_b64(),
        signed_at: 0,
        signature: stranger.cosign(&sha),
    });
    set_cosigs(&mut f, &list);
    let r = run(&f);
    let c = failed(&r, "cosignatures");
    assert_eq!(at(c).2.as_deref(), Some("[2].public_key"));
}

#[test]
fn certified_needs_enough_co_signatures() {
    let mut f = open();
    let list = cosigs(&f);
    set_cosigs(&mut f, &list[..1]);
    let r = run(&f);
    let c = failed(&r, "cosignatures");
    assert!(
        c.detail.en.contains("only 1 of the 2 required"),
        "{:?}",
        c.detail
    );
    // Not yet certified: one of two is progress, not a failure.
    let mut b = f.json("bundle.json");
    b["status"] = json!("finalised");
    f.set_json("bundle.json", &b).unwrap();
    let r = run(&f);
    assert!(r.ok(), "{}", r.render_text(Lang::En));
}

#[test]
fn bundle_addresses_map_to_the_bundle_endpoint() {
    let cases = [
        (
            "https://yst.example/c/sanyijing/ballots/7",
            "https://yst.example/api/v1/ballots/7/bundle",
        ),
        (
            "http://h:8080/c/s/ballots/12/verify?x=1",
            "http://h:8080/api/v1/ballots/12/bundle",
        ),
        (
            "https://h/api/v1/communities/s/ballots/3/manifest",
            "https://h/api/v1/ballots/3/bundle",
        ),
        (
            "https://h/yst/c/s/ballots/3",
            "https://h/yst/api/v1/ballots/3/bundle",
        ),
        (
            "https://h/api/v1/ballots/9/bundle",
            "https://h/api/v1/ballots/9/bundle",
        ),
    ];
    for (from, to) in cases {
        assert_eq!(verify::bundle_url(from).unwrap(), to, "{from}");
    }
    assert!(verify::bundle_url("https://h/c/s/ballots/x").is_err());
    assert!(verify::bundle_url("ftp://h/c/s/ballots/1").is_err());
}

#[test]
fn a_bundle_is_fetched_over_http() {
    let archive = open().tar_gz().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            req.extend_from_slice(&buf[..n]);
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            archive.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&archive).unwrap();
        String::from_utf8_lossy(&req).into_owned()
    });
    let r = verify::verify_url(&format!("http://127.0.0.1:{port}/c/sanyijing/ballots/7"));
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /api/v1/ballots/7/bundle "),
        "{request}"
    );
    assert!(r.ok(), "{}", r.render_text(Lang::En));
}

#[test]
fn the_command_exits_by_the_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let f = open();
    let dir = tmp.path().join("ballot-7");
    f.write_dir(&dir).unwrap();
    let archive = tmp.path().join("ballot-7.tar.gz");
    std::fs::write(&archive, f.tar_gz().unwrap()).unwrap();
    for target in [&dir, &archive] {
        let out = cli(&["verify", path(target), "--json", "-", "--lang", "en"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["ok"], true);
        assert!(String::from_utf8_lossy(&out.stderr).contains("Verified"));
    }
    let out = cli(&["verify", path(&dir)]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("核验通过"));

    // Pinning the key posted with the notice: the right key passes, another fails.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let posted = manifest["manifest"]["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = cli(&["verify", path(&dir), "--key", &posted, "--lang", "en"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("the one you gave"));
    let other = posted.replacen('+', "+0", 1);
    let out = cli(&["verify", path(&dir), "--key", &other, "--lang", "en"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not signed with the posted key"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::remove_file(dir.join("roll.json")).unwrap();
    let out = cli(&["verify", path(&dir), "--json", "-"]);
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let bad: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .collect();
    assert_eq!(bad[0]["id"], "bundle");
    assert_eq!(bad[0]["location"]["file"], "roll.json");
    let truncated = tmp.path().join("short.tar.gz");
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(!cli(&["verify", path(&truncated)]).status.success());
}

#[test]
fn a_generated_key_co_signs_a_verified_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let key_path = tmp.path().join("key.json");
    let out = cli(&["key", "generate", "--out", path(&key_path)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key_text = std::fs::read_to_string(&key_path).unwrap();
    let private = serde_json::from_str::<Value>(&key_text).unwrap()["private_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!public.contains(&private));
    assert!(!cli(&["key", "generate", "--out", path(&key_path)])
        .status
        .success());
    let out = cli(&["key", "public", path(&key_path)]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), public);

    let f = Fixture::build(Spec {
        scrutineer_key_files: vec![key_text],
        ..spec(false)
    })
    .unwrap();
    assert_eq!(f.manifest.scrutineers[2].public_key, public);
    let dir = tmp.path().join("bundle");
    f.write_dir(&dir).unwrap();
    let out = cli(&[
        "verify",
        path(&dir),
        "--sign-with",
        path(&key_path),
        "--json",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sha = fixture::record_sha256(&f.record("tally-final.json").unwrap()).unwrap();
    let c = &report["cosignature"];
    assert_eq!(c["scrutineer"], 2);
    assert_eq!(c["record_sha256"], sha.as_str());
    assert!(verify_cosignature(
        &public,
        &sha,
        c["signature"].as_str().unwrap()
    ));
    // Plain output prints the signature last.
    let out = cli(&["verify", path(&dir), "--sign-with", path(&key_path)]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let sig = stdout.lines().last().unwrap();
    assert!(verify_cosignature(&public, &sha, sig));
    // Nothing is signed when a check fails.
    std::fs::remove_file(dir.join("roll.json")).unwrap();
    let out = cli(&["verify", path(&dir), "--sign-with", path(&key_path)]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("co-signature by"));
}

// ---- proxy and paper leaves (docs/verification.md §14) --------------------------------

fn paper(confirmed_by: Option<i64>) -> impl FnOnce(&mut Value) {
    move |v: &mut Value| {
        v["channel"] = json!("paper");
        let mut p = json!({"scan_sha256": "ab".repeat(32)});
        if let Some(i) = confirmed_by {
            p["confirmed_by"] = json!(i);
        }
        v["paper"] = p;
    }
}

/// A leaf whose voter has no other leaf.
fn single_vote_leaf(f: &Fixture) -> usize {
    let voters: Vec<i64> = f
        .entry_lines()
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["voter"]
                .as_i64()
                .unwrap()
        })
        .collect();
    (0..voters.len())
        .find(|&i| voters.iter().filter(|&&v| v == voters[i]).count() == 1)
        .unwrap()
}

#[test]
fn a_confirmed_paper_leaf_counts_like_an_online_ballot() {
    let mut f = open();
    // A voter's two leaves become a paper as entered and its scrutineer's confirmation
    // (same answers and scan): it counts in the place of the first, with the same ballot as
    // the record counted.
    let (first, second) = revote_leaves(&f);
    let answers: Value =
        serde_json::from_str::<Value>(&f.entry_lines()[second]).unwrap()["answers"].clone();
    edit_leaf(&mut f, first, false, |v| {
        paper(None)(v);
        v["answers"] = answers;
    });
    edit_leaf(&mut f, second, true, |v| {
        paper(Some(0))(v);
        v["corrects"] = json!(first);
    });
    let r = run(&f);
    // The records name the checkpoint before the edit; nothing else differs.
    assert!(
        r.failure("entries").is_none(),
        "{}",
        r.render_text(Lang::En)
    );
    assert!(
        r.failure("tally.preliminary.recount").is_none(),
        "{}",
        r.render_text(Lang::En)
    );
    assert!(r.failure("tally.final.recount").is_none());
    // Confirmed when first entered: refused by the rules.
    let mut f = open();
    let i = single_vote_leaf(&f);
    edit_leaf(&mut f, i, true, paper(Some(0)));
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(at(c).2.as_deref(), Some("channel"));
    assert!(c.detail.en.contains("not when entered"), "{:?}", c.detail);
}

#[test]
fn an_unconfirmed_paper_leaf_does_not_count() {
    let mut f = open();
    let i = single_vote_leaf(&f);
    edit_leaf(&mut f, i, true, paper(None));
    let r = run(&f);
    // The log itself is sound; the record, made as if it counted, is not.
    assert!(
        r.failure("entries").is_none(),
        "{}",
        r.render_text(Lang::En)
    );
    let c = failed(&r, "tally.preliminary.recount");
    assert!(
        c.detail
            .en
            .contains("ballots.counted: record 30, recount 29"),
        "{:?}",
        c.detail
    );
}

#[test]
fn malformed_proxy_and_paper_members_are_named() {
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("paper", Box::new(paper(Some(9)))),
        (
            "paper",
            Box::new(|v: &mut Value| {
                v["channel"] = json!("paper");
                v["paper"] = json!({"scan_sha256": "not-a-hash"});
            }),
        ),
        (
            "proxy",
            Box::new(|v: &mut Value| {
                v["channel"] = json!("proxy");
            }),
        ),
        (
            "proxy",
            Box::new(|v: &mut Value| {
                v["proxy"] = json!({"holder": "ab".repeat(16), "source": "online"});
            }),
        ),
        (
            "channel",
            Box::new(|v: &mut Value| {
                v["channel"] = json!("online");
            }),
        ),
        (
            "corrects",
            Box::new(|v: &mut Value| {
                v["corrects"] = json!(3);
            }),
        ),
    ];
    for (field, edit) in cases {
        let mut f = open();
        edit_leaf(&mut f, 20, true, edit);
        let r = run(&f);
        let c = failed(&r, "entries");
        assert_eq!(
            at(c),
            ("entries.jsonl".into(), Some(20), Some(field.into())),
            "{:?}",
            c.detail
        );
    }
}

/// A voter with two leaves: (first, second).
fn revote_leaves(f: &Fixture) -> (usize, usize) {
    let voters: Vec<i64> = f
        .entry_lines()
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["voter"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let second = (0..voters.len())
        .find(|&i| voters[..i].contains(&voters[i]))
        .unwrap();
    let first = voters.iter().position(|v| *v == voters[second]).unwrap();
    (first, second)
}

#[test]
fn a_proxy_ballot_after_the_owners_own_is_named() {
    let mut f = open();
    let (_, second) = revote_leaves(&f);
    edit_leaf(&mut f, second, true, |v| {
        v["channel"] = json!("proxy");
        v["proxy"] = json!({"holder": "cd".repeat(16), "source": "online"});
    });
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(
        at(c),
        (
            "entries.jsonl".into(),
            Some(second as u64),
            Some("channel".into())
        )
    );
    assert!(
        c.detail.en.contains("overrides the proxy"),
        "{:?}",
        c.detail
    );
}

#[test]
fn one_scan_for_two_papers_and_a_proxy_over_the_cap_are_named() {
    let mut f = open();
    let i = single_vote_leaf(&f);
    let j = (0..36).rev().find(|&j| j != i).unwrap();
    edit_leaf(&mut f, i, false, paper(None));
    edit_leaf(&mut f, j, true, paper(None));
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(at(c).2.as_deref(), Some("paper"), "{:?}", c.detail);
    assert!(c.detail.en.contains("another paper's"), "{:?}", c.detail);

    // One proxy (the same holder) for two voters: the default cap is one.
    let mut f = open();
    let single: Vec<usize> = {
        let voters: Vec<i64> = f
            .entry_lines()
            .iter()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["voter"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        (0..voters.len())
            .filter(|&i| voters.iter().filter(|&&v| v == voters[i]).count() == 1)
            .take(2)
            .collect()
    };
    for (n, &i) in single.iter().enumerate() {
        edit_leaf(&mut f, i, n == 1, |v| {
            v["channel"] = json!("proxy");
            v["proxy"] = json!({"holder": "ef".repeat(16), "source": "online"});
        });
    }
    let r = run(&f);
    let c = failed(&r, "entries");
    assert!(
        c.detail.en.contains("more than the cap of 1"),
        "{}",
        r.render_text(Lang::En)
    );
}

#[test]
fn a_confirmation_that_differs_from_its_paper_is_named() {
    let mut f = open();
    let (first, second) = revote_leaves(&f);
    // The confirmation keeps its own answers, which differ from the paper as entered.
    let lines = f.entry_lines();
    let a1 = serde_json::from_str::<Value>(&lines[first]).unwrap()["answers"].clone();
    let a2 = serde_json::from_str::<Value>(&lines[second]).unwrap()["answers"].clone();
    assert_ne!(a1, a2, "the fixture's two ballots of a voter differ");
    edit_leaf(&mut f, first, false, paper(None));
    edit_leaf(&mut f, second, true, |v| {
        paper(Some(0))(v);
        v["corrects"] = json!(first);
    });
    let r = run(&f);
    let c = failed(&r, "entries");
    assert_eq!(
        at(c),
        (
            "entries.jsonl".into(),
            Some(second as u64),
            Some("paper".into())
        )
    );
    assert!(
        c.detail.en.contains("differs from the paper"),
        "{:?}",
        c.detail
    );
}
