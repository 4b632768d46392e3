//! Ballot helpers for the tests, and an independent check of receipts and proofs that uses
//! only the published formats (docs/verification.md), not the server's code paths.
#![allow(dead_code)]

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Digest;
use yishiting::domain::merkle;

use super::{Fixture, TestApp};

pub const DAY: i64 = 86_400;

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn b64d(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn hexd(s: &str) -> merkle::Hash {
    merkle::from_hex(s).expect("64 hex digits")
}

/// A definition: one yes/no question and an approval question (elect up to 2 of 3).
pub fn definition(opens_at: i64, closes_at: i64) -> Value {
    json!({
        "title": "关于加装电梯的表决",
        "description": "**加装电梯**：费用按楼层分摊。",
        "kind": "assembly_matter",
        "privacy": "open",
        "counting_rule": "special",
        "questions": [
            {"kind": "yes_no", "text": "是否同意加装电梯？"},
            {"kind": "approval", "text": "选举监督小组成员", "options": ["张三", "李四", "王五"], "max_choices": 2}
        ],
        "opens_at": opens_at,
        "closes_at": closes_at,
    })
}

pub fn answers(yes_no: &str, picks: &[&str]) -> Value {
    json!([
        {"question": "q1", "choices": [yes_no]},
        {"question": "q2", "choices": picks},
    ])
}

pub fn nonce() -> String {
    yishiting::crypto::random_hex(16).unwrap()
}

impl TestApp {
    pub async fn create_ballot(&self, f: &Fixture, def: &Value) -> reqwest::Response {
        self.api(
            Method::POST,
            &format!("/api/v1/communities/{}/ballots", f.slug),
            Some(&f.organiser),
        )
        .json(def)
        .send()
        .await
        .unwrap()
    }

    pub async fn transition(
        &self,
        f: &Fixture,
        id: i64,
        action: &str,
        reason: &str,
    ) -> reqwest::Response {
        self.api(
            Method::POST,
            &format!("/api/v1/communities/{}/ballots/{id}/transitions", f.slug),
            Some(&f.organiser),
        )
        .json(&json!({ "action": action, "reason": reason }))
        .send()
        .await
        .unwrap()
    }

    pub async fn cast(
        &self,
        slug: &str,
        id: i64,
        token: &str,
        nonce: &str,
        answers: &Value,
    ) -> reqwest::Response {
        self.api(
            Method::POST,
            &format!("/api/v1/communities/{slug}/ballots/{id}/casts"),
            Some(token),
        )
        .json(&json!({ "nonce": nonce, "answers": answers }))
        .send()
        .await
        .unwrap()
    }

    pub async fn board_json(&self, slug: &str, id: i64, path: &str) -> Value {
        let url = if path.is_empty() {
            format!("/api/v1/communities/{slug}/ballots/{id}")
        } else {
            format!("/api/v1/communities/{slug}/ballots/{id}/{path}")
        };
        let res = self.get(&url).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }

    /// Set the community's notice period to zero days (with a reason), so a ballot can be
    /// announced and opened at once.
    pub async fn zero_notice(&self, f: &Fixture) {
        let res = self
            .api(
                Method::PUT,
                &format!("/api/v1/communities/{}/notice", f.slug),
                Some(&f.organiser),
            )
            .json(&json!({ "days": 0, "reason": "测试：无需公告期" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    /// A ballot announced now and opened at once: the community's notice period is set to
    /// zero (with a reason), the window opens in a minute, and the clock is moved past it.
    pub async fn open_ballot(&self, f: &Fixture, mut def: Value) -> i64 {
        self.zero_notice(f).await;
        let opens = self.clock.now() + 60;
        def["opens_at"] = json!(opens);
        def["closes_at"] = json!(opens + 7 * DAY);
        let res = self.create_ballot(f, &def).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let res = self.transition(f, id, "announce", "").await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        self.clock.advance(61);
        let res = self.transition(f, id, "open", "").await;
        // The schedule may already have opened it when the board was read.
        assert!(res.status() == 200 || res.status() == 409);
        id
    }
}

/// The verifier key string → (name, public key), checking its key id.
pub fn parse_vkey(vkey: &str) -> (String, [u8; 32]) {
    let mut parts = vkey.splitn(3, '+');
    let name = parts.next().unwrap().to_owned();
    let id = parts.next().unwrap();
    let key = b64d(parts.next().unwrap());
    assert_eq!(key[0], 1, "Ed25519 type byte");
    let pk: [u8; 32] = key[1..].try_into().unwrap();
    let mut h = sha2::Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(pk);
    let digest = h.finalize();
    assert_eq!(hex(&digest[..4]), id, "key id");
    (name, pk)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Check a signed checkpoint by hand (C2SP signed-note, tlog-checkpoint): returns (size, root).
pub fn open_checkpoint(note: &str, vkey: &str) -> (u64, merkle::Hash) {
    let (name, pk) = parse_vkey(vkey);
    let split = note.rfind("\n\n").expect("blank line before signatures");
    let body = &note[..=split];
    let sig_line = note[split + 2..].lines().next().unwrap();
    let rest = sig_line.strip_prefix("— ").expect("em dash");
    let (signer, sig) = rest.split_once(' ').unwrap();
    assert_eq!(signer, name);
    let sig = b64d(sig);
    assert_eq!(sig.len(), 68);
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&sig[4..]).unwrap();
    vk.verify_strict(body.as_bytes(), &signature)
        .expect("checkpoint signature verifies");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], name, "origin line");
    let size: u64 = lines[1].parse().unwrap();
    let root: merkle::Hash = b64d(lines[2]).try_into().unwrap();
    (size, root)
}

pub fn jcs(v: &Value) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(v).unwrap()
}

/// Check a receipt completely (docs/verification.md §7); returns the checkpoint size.
pub fn verify_receipt(r: &Value) -> u64 {
    let leaf_bytes = jcs(&r["leaf"]);
    let hash = merkle::leaf_hash(&leaf_bytes);
    assert_eq!(hex(&hash), r["leaf_hash"].as_str().unwrap(), "leaf hash");
    assert_eq!(r["leaf"]["origin"], r["origin"]);
    assert_eq!(
        r["tracker"].as_str().unwrap().replace('-', ""),
        r["leaf_hash"].as_str().unwrap()[..12]
    );
    let (size, root) = open_checkpoint(
        r["checkpoint"].as_str().unwrap(),
        r["verifier_key"].as_str().unwrap(),
    );
    let proof: Vec<merkle::Hash> = r["inclusion_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hexd(h.as_str().unwrap()))
        .collect();
    let index = r["leaf_index"].as_u64().unwrap();
    merkle::verify_inclusion(&hash, index, size, &proof, &root).expect("inclusion proof");
    size
}

/// Every leaf from get-entries, in order.
pub async fn all_entries(app: &TestApp, slug: &str, id: i64, size: u64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < size {
        let page = app
            .board_json(
                slug,
                id,
                &format!("log/entries?start={start}&end={}", size - 1),
            )
            .await;
        let entries = page["entries"].as_array().unwrap().clone();
        assert!(!entries.is_empty());
        start += entries.len() as u64;
        out.extend(entries);
    }
    out
}

/// Recompute the tree from get-entries and compare with the latest signed checkpoint.
pub async fn audit_log(app: &TestApp, slug: &str, id: i64) -> (u64, Vec<Value>) {
    let manifest = app.board_json(slug, id, "manifest").await;
    let vkey = manifest["manifest"]["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let sth = app.board_json(slug, id, "log/sth").await;
    let (size, root) = open_checkpoint(sth["checkpoint"].as_str().unwrap(), &vkey);
    let entries = all_entries(app, slug, id, size).await;
    assert_eq!(entries.len() as u64, size);
    let hashes: Vec<merkle::Hash> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert_eq!(e["leaf_index"].as_u64().unwrap(), i as u64, "no gap");
            let input = b64d(e["leaf_input"].as_str().unwrap());
            assert_eq!(input, jcs(&e["leaf"]), "leaf_input is the canonical leaf");
            merkle::leaf_hash(&input)
        })
        .collect();
    assert_eq!(
        merkle::root_of(&hashes),
        root,
        "root recomputed from the entries"
    );
    (size, entries)
}
