//! Ballots over the API: definition, lifecycle, snapshot, casting, receipts, the public
//! bulletin board and its proofs. Runs on SQLite, and on PostgreSQL when
//! `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::ballots::*;
use common::{fixture, spawn_app, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::{json, Value};
use yishiting::domain::merkle;

async fn setup() -> (common::TestApp, common::Fixture) {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    for (login, owner) in [
        ("zhang", "A1"),
        ("li", "A2"),
        ("wang", "B1"),
        ("zhao", "C1"),
        ("sun", "D1"),
    ] {
        app.create_owner_user(login, "owner-password", "sanyijing", owner);
    }
    (app, f)
}

async fn token(app: &common::TestApp, login: &str) -> String {
    app.token(login, "owner-password").await
}

async fn log_size(app: &common::TestApp, id: i64) -> i64 {
    app.board_json("sanyijing", id, "log/sth").await["tree_size"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_ballot_from_draft_to_certified() {
    let (app, f) = setup().await;
    let t0 = app.clock.now();

    // Bad definitions are refused with every problem named, and nothing is created.
    let mut bad = definition(t0 + 16 * DAY, t0 + 10 * DAY);
    bad["questions"][1]["max_choices"] = json!(5);
    bad["kind"] = json!("referendum");
    let res = app.create_ballot(&f, &bad).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"kind") && fields.contains(&"closes_at"));
    assert!(fields.contains(&"questions[1].max_choices"), "{fields:?}");
    let list: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/ballots",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);
    // Owners cannot draft.
    let zhang = token(&app, "zhang").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/ballots",
            Some(&zhang),
        )
        .json(&definition(t0 + 16 * DAY, t0 + 20 * DAY))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // A draft opening in 10 days cannot be announced under the 15-day notice period.
    let res = app
        .create_ballot(&f, &definition(t0 + 10 * DAY, t0 + 17 * DAY))
        .await;
    assert_eq!(res.status(), 201);
    let draft: Value = res.json().await.unwrap();
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    // Drafts are not public.
    assert_eq!(
        app.get(&format!("/api/v1/communities/sanyijing/ballots/{id}"))
            .await
            .status(),
        404
    );
    let res = app.transition(&f, id, "announce", "").await;
    assert_eq!(res.status(), 409);
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("15"), "{p}");
    // Opening or closing a draft is illegal.
    for action in ["open", "close", "tally", "certify", "cancel"] {
        assert_eq!(
            app.transition(&f, id, action, "r").await.status(),
            409,
            "{action}"
        );
    }
    assert_eq!(app.transition(&f, id, "launch", "").await.status(), 422);

    // Move the window: 16 days ahead. Edit, then announce.
    let opens = t0 + 16 * DAY;
    let closes = opens + 7 * DAY;
    let res = app
        .api(
            Method::PUT,
            &format!("/api/v1/communities/sanyijing/ballots/{id}"),
            Some(&f.organiser),
        )
        .json(&definition(opens, closes))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app.transition(&f, id, "announce", "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "announced");
    // Frozen: no more edits, no second announcement.
    let res = app
        .api(
            Method::PUT,
            &format!("/api/v1/communities/sanyijing/ballots/{id}"),
            Some(&f.organiser),
        )
        .json(&definition(opens, closes))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(app.transition(&f, id, "announce", "").await.status(), 409);

    // The manifest is signed by the ballot key; the snapshot hash and totals match.
    let signed = app.board_json("sanyijing", id, "manifest").await;
    let manifest = &signed["manifest"];
    let (_, pk) = parse_vkey(manifest["verifier_key"].as_str().unwrap());
    assert_eq!(b64d(manifest["public_key"].as_str().unwrap()), pk.to_vec());
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    let sig =
        ed25519_dalek::Signature::from_slice(&b64d(signed["signature"].as_str().unwrap())).unwrap();
    vk.verify_strict(&jcs(manifest), &sig)
        .expect("manifest signature");
    assert_eq!(
        manifest["origin"],
        format!("yishiting.test/sanyijing/ballots/{id}")
    );
    assert_eq!(manifest["notice_days"], 15);
    assert_eq!(manifest["opens_at"], opens);
    let snapshot = app.board_json("sanyijing", id, "electorate").await;
    let digest = hex(&<sha2::Sha256 as sha2::Digest>::digest(jcs(&snapshot)));
    assert_eq!(manifest["electorate"]["snapshot_sha256"], digest);
    let voters = snapshot["voters"].as_array().unwrap();
    // Co-owners A1+A2, buyer B1 of two units, the developer's units, D1: four voters.
    assert_eq!(voters.len(), 4);
    assert_eq!(snapshot["headcount"], 4);
    let area: i64 = voters
        .iter()
        .map(|v| v["area_centi"].as_i64().unwrap())
        .sum();
    assert_eq!(snapshot["area_centi"], area);
    assert_eq!(manifest["electorate"]["area_centi"], area);
    let joint = voters
        .iter()
        .find(|v| v["rooms"] == json!(["1号楼 101"]))
        .unwrap();
    assert_eq!(joint["name"], "张*、李*", "names masked");
    assert!(!snapshot.to_string().contains("张三"));

    // Later roster changes do not touch the snapshot.
    let changed = SAMPLE_ROSTER.replace("2号楼,201,66.60,70.00", "2号楼,201,99.99,70.00");
    assert_eq!(f.import(&app, &changed, true, "zh-CN").await.status(), 200);
    assert_eq!(
        app.board_json("sanyijing", id, "electorate").await,
        snapshot
    );

    // Not open yet.
    let res = app
        .cast(
            "sanyijing",
            id,
            &zhang,
            &nonce(),
            &answers("agree", &["o1"]),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.transition(&f, id, "open", "").await.status(), 409);

    // The opening hour comes: the schedule opens it.
    app.clock.advance(16 * DAY);
    let b: Value = app.board_json("sanyijing", id, "").await;
    assert_eq!(b["status"], "open");

    // A first ballot, then the co-owner's, which supersedes it.
    let res = app
        .cast(
            "sanyijing",
            id,
            &zhang,
            &nonce(),
            &answers("agree", &["o1", "o3"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    let r1: Value = res.json().await.unwrap();
    assert_eq!(verify_receipt(&r1), 1);
    assert_eq!(r1["leaf"]["rooms"], json!(["1号楼 101"]));
    assert_eq!(r1["leaf"]["answers"], answers("agree", &["o1", "o3"]));
    let li = token(&app, "li").await;
    let n = nonce();
    let res = app
        .cast("sanyijing", id, &li, &n, &answers("disagree", &[]))
        .await;
    assert_eq!(res.status(), 201);
    let r2: Value = res.json().await.unwrap();
    assert_eq!(verify_receipt(&r2), 2);
    assert_eq!(r2["leaf"]["voter"], r1["leaf"]["voter"]);

    // A replayed request changes nothing.
    let res = app
        .cast("sanyijing", id, &li, &n, &answers("disagree", &[]))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(log_size(&app, id).await, 2);

    // Bad input: clear errors, nothing written.
    let wang = token(&app, "wang").await;
    for (body, status) in [
        (answers("maybe", &[]), 422),
        (answers("agree", &["o1", "o2", "o3"]), 422),
        (answers("agree", &["o4"]), 422),
        (answers("agree", &["o1", "o1"]), 422),
        (json!([{"question": "q1", "choices": ["agree"]}]), 422),
        (json!([{"question": "q9", "choices": []}]), 422),
    ] {
        let res = app.cast("sanyijing", id, &wang, &nonce(), &body).await;
        assert_eq!(res.status(), status, "{body}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json"));
    }
    let res = app
        .cast("sanyijing", id, &wang, "short", &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/casts"),
            Some(&wang),
        )
        .header("Content-Type", "application/json")
        .body("{\"nonce\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .api(Method::POST, &format!("/api/v1/communities/sanyijing/ballots/{id}/casts"), Some(&wang))
        .json(&json!({ "nonce": nonce(), "answers": answers("agree", &[]), "pad": "x".repeat(300_000) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Not a voter: 赵六's unit is undelivered (counted with the developer); the admin owns nothing.
    let zhao = token(&app, "zhao").await;
    let res = app
        .cast("sanyijing", id, &zhao, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .cast("sanyijing", id, &f.admin, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/casts"),
            None,
        )
        .json(&json!({ "nonce": nonce(), "answers": answers("agree", &[]) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(log_size(&app, id).await, 2);

    let res = app
        .cast(
            "sanyijing",
            id,
            &wang,
            &nonce(),
            &answers("abstain", &["o2"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    let r3: Value = res.json().await.unwrap();
    verify_receipt(&r3);

    // The board: roll, turnout, entries with the superseded one marked, proofs.
    let roll = app.board_json("sanyijing", id, "roll").await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), 2);
    assert_eq!(roll["turnout"]["headcount"], 2);
    assert_eq!(roll["electorate_headcount"], 4);
    let (size, entries) = audit_log(&app, "sanyijing", id).await;
    assert_eq!(size, 3);
    let superseded: Vec<bool> = entries
        .iter()
        .map(|e| e["superseded"].as_bool().unwrap())
        .collect();
    assert_eq!(superseded, vec![true, false, false]);

    // Inclusion proof of the first leaf at every size, checked against recomputed roots.
    let hashes: Vec<merkle::Hash> = entries
        .iter()
        .map(|e| hexd(e["leaf_hash"].as_str().unwrap()))
        .collect();
    for tree_size in 1..=3u64 {
        let p = app
            .board_json(
                "sanyijing",
                id,
                &format!(
                    "log/proof-by-hash?hash={}&tree_size={tree_size}",
                    r1["leaf_hash"].as_str().unwrap()
                ),
            )
            .await;
        assert_eq!(p["leaf_index"], 0);
        let path: Vec<merkle::Hash> = p["audit_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| b64d(h.as_str().unwrap()).try_into().unwrap())
            .collect();
        let root = merkle::root_of(&hashes[..tree_size as usize]);
        merkle::verify_inclusion(&hashes[0], 0, tree_size, &path, &root).unwrap();
    }
    // Consistency between every pair of sizes.
    for a in 1..=3u64 {
        for b in a..=3u64 {
            let p = app
                .board_json(
                    "sanyijing",
                    id,
                    &format!("log/sth-consistency?first={a}&second={b}"),
                )
                .await;
            let proof: Vec<merkle::Hash> = p["consistency"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| b64d(h.as_str().unwrap()).try_into().unwrap())
                .collect();
            merkle::verify_consistency(
                a,
                b,
                &merkle::root_of(&hashes[..a as usize]),
                &merkle::root_of(&hashes[..b as usize]),
                &proof,
            )
            .unwrap();
        }
    }
    // Out-of-range requests are refused.
    for q in [
        "log/proof-by-hash?hash=zz",
        "log/sth-consistency?first=2&second=9",
        "log/sth-consistency?first=0&second=2",
        "log/entries?start=5&end=9",
    ] {
        let res = app
            .get(&format!("/api/v1/communities/sanyijing/ballots/{id}/{q}"))
            .await;
        assert_eq!(res.status(), 400, "{q}");
    }
    let unknown = "00".repeat(32);
    let res = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/log/proof-by-hash?hash={unknown}"
        ))
        .await;
    assert_eq!(res.status(), 404);
    // A public receipt for a tracker verifies against the latest checkpoint.
    let r = app
        .board_json(
            "sanyijing",
            id,
            &format!("log/receipt?hash={}", r1["leaf_hash"].as_str().unwrap()),
        )
        .await;
    assert_eq!(verify_receipt(&r), 3);
    let text = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/log/checkpoint"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with(&format!("yishiting.test/sanyijing/ballots/{id}\n3\n")),
        "{text}"
    );
    // Earlier checkpoints stay available by size.
    let old = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/log/checkpoint?size=1"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(old, r1["checkpoint"].as_str().unwrap());
    let res = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/log/checkpoint?size=99"
        ))
        .await;
    assert_eq!(res.status(), 404);

    // Closing before the end of the window is refused; after it, the schedule closes.
    assert_eq!(app.transition(&f, id, "close", "").await.status(), 409);
    app.clock.advance(7 * DAY);
    let res = app
        .cast("sanyijing", id, &wang, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 409);
    // Closing counts at once: the preliminary result opens the objection period.
    let b: Value = app.board_json("sanyijing", id, "").await;
    assert_eq!(b["status"], "tallied");
    assert_eq!(log_size(&app, id).await, 3);
    assert_eq!(
        app.transition(&f, id, "cancel", "太晚了").await.status(),
        409
    );
    assert_eq!(app.transition(&f, id, "tally", "").await.status(), 409);
    assert_eq!(app.transition(&f, id, "certify", "").await.status(), 409);
    assert_eq!(app.transition(&f, id, "finalise", "").await.status(), 409);
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, id, "finalise", "").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "finalised");
    let res = app.transition(&f, id, "certify", "").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "certified");
    assert_eq!(app.transition(&f, id, "certify", "").await.status(), 409);

    // Every step is in the audit trail.
    let audit: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/audit",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "ballot.create",
        "ballot.edit",
        "ballot.announce",
        "ballot.open",
        "ballot.close",
        "ballot.tally",
        "ballot.certify",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn cancelled_ballots_take_no_casts_and_need_a_reason() {
    let (app, f) = setup().await;
    let id = app.open_ballot(&f, definition(0, 0)).await;
    assert_eq!(app.transition(&f, id, "cancel", "  ").await.status(), 409);
    let res = app
        .transition(&f, id, "cancel", "公告内容有误，重新公告")
        .await;
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["status"], "cancelled");
    assert_eq!(b["status_reason"], "公告内容有误，重新公告");
    let zhang = token(&app, "zhang").await;
    let res = app
        .cast("sanyijing", id, &zhang, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 409);
    for action in ["open", "close", "tally", "certify", "cancel", "announce"] {
        assert_eq!(
            app.transition(&f, id, action, "x").await.status(),
            409,
            "{action}"
        );
    }
    // The notice period: a change needs a reason and is recorded in the manifest.
    let res = app
        .api(
            Method::PUT,
            "/api/v1/communities/sanyijing/notice",
            Some(&f.organiser),
        )
        .json(&json!({ "days": 7 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = app
        .api(
            Method::PUT,
            "/api/v1/communities/sanyijing/notice",
            Some(&f.organiser),
        )
        .json(&json!({ "days": 91, "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let manifest = app.board_json("sanyijing", id, "manifest").await;
    assert_eq!(manifest["manifest"]["notice_days"], 0);
    assert_eq!(manifest["manifest"]["notice_reason"], "测试：无需公告期");
}

#[tokio::test]
async fn building_scope_and_confidential_mode() {
    let (app, f) = setup().await;
    let buildings: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/roster",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b1 = buildings["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "1号楼")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut def = definition(0, 0);
    def["scope_buildings"] = json!([b1]);
    def["privacy"] = json!("confidential");
    def["kind"] = json!("custom");
    let id = app.open_ballot(&f, def).await;
    let manifest = app.board_json("sanyijing", id, "manifest").await;
    assert_eq!(
        manifest["manifest"]["scope"],
        json!({"kind": "buildings", "buildings": ["1号楼"]})
    );
    assert_eq!(manifest["manifest"]["privacy"], "confidential");
    let snapshot = app.board_json("sanyijing", id, "electorate").await;
    // 1号楼: the co-owners of 101 and 王五 (102 and 201).
    assert_eq!(snapshot["voters"].as_array().unwrap().len(), 2);

    // 孙七 lives in 2号楼: outside the scope.
    let sun = token(&app, "sun").await;
    let res = app
        .cast("sanyijing", id, &sun, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 403);

    let zhang = token(&app, "zhang").await;
    let li = token(&app, "li").await;
    let wang = token(&app, "wang").await;
    let r1: Value = app
        .cast("sanyijing", id, &zhang, &nonce(), &answers("agree", &[]))
        .await
        .json()
        .await
        .unwrap();
    let r2: Value = app
        .cast("sanyijing", id, &li, &nonce(), &answers("disagree", &[]))
        .await
        .json()
        .await
        .unwrap();
    let r3: Value = app
        .cast("sanyijing", id, &wang, &nonce(), &answers("agree", &["o2"]))
        .await
        .json()
        .await
        .unwrap();
    for r in [&r1, &r2, &r3] {
        verify_receipt(r);
        assert!(r["leaf"].get("rooms").is_none() && r["leaf"].get("voter").is_none());
        assert_eq!(r["leaf"]["tag"].as_str().unwrap().len(), 32);
    }
    // Co-owners share a tag (one voter); another voter has another.
    assert_eq!(r1["leaf"]["tag"], r2["leaf"]["tag"]);
    assert_ne!(r1["leaf"]["tag"], r3["leaf"]["tag"]);

    // The roll is public, and the multiset of weights of the effective leaves equals the
    // weights of the voters on the roll.
    let roll = app.board_json("sanyijing", id, "roll").await;
    let (_, entries) = audit_log(&app, "sanyijing", id).await;
    let mut from_log: Vec<(i64, i64)> = entries
        .iter()
        .filter(|e| !e["superseded"].as_bool().unwrap())
        .map(|e| {
            (
                e["leaf"]["area_centi"].as_i64().unwrap(),
                e["leaf"]["headcount"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut from_roll: Vec<(i64, i64)> = roll["voters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let v = &snapshot["voters"][i.as_u64().unwrap() as usize];
            (
                v["area_centi"].as_i64().unwrap(),
                v["headcount"].as_i64().unwrap(),
            )
        })
        .collect();
    from_log.sort();
    from_roll.sort();
    assert_eq!(from_log, from_roll);
    assert_eq!(from_log.len(), 2);
}

#[tokio::test]
async fn concurrent_casts_for_one_voter_leave_one_effective_ballot() {
    let (app, f) = setup().await;
    let id = app.open_ballot(&f, definition(0, 0)).await;
    let zhang = token(&app, "zhang").await;
    let li = token(&app, "li").await;
    let app = std::sync::Arc::new(app);

    // Two phones, double clicks and a script: 24 casts at once for the one voter 101.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (app, t) = (
            app.clone(),
            if i % 2 == 0 {
                zhang.clone()
            } else {
                li.clone()
            },
        );
        let choice = ["agree", "disagree", "abstain"][i % 3];
        tasks.push(tokio::spawn(async move {
            let res = app
                .cast("sanyijing", id, &t, &nonce(), &answers(choice, &[]))
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }));
    }
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.push(t.await.unwrap());
    }
    let mut indices: Vec<i64> = receipts
        .iter()
        .map(|r| r["leaf_index"].as_i64().unwrap())
        .collect();
    indices.sort();
    assert_eq!(
        indices,
        (0..24).collect::<Vec<_>>(),
        "no gap, no duplicate index"
    );
    for r in &receipts {
        verify_receipt(r);
    }
    let (size, entries) = audit_log(&app, "sanyijing", id).await;
    assert_eq!(size, 24);
    let effective: Vec<&Value> = entries
        .iter()
        .filter(|e| !e["superseded"].as_bool().unwrap())
        .collect();
    assert_eq!(effective.len(), 1, "exactly one effective ballot");
    assert_eq!(effective[0]["leaf_index"], 23, "the last one in the log");
    let roll = app.board_json("sanyijing", id, "roll").await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), 1);

    // The same request sent 12 times at once is recorded once.
    let n = nonce();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, t, n) = (app.clone(), zhang.clone(), n.clone());
        tasks.push(tokio::spawn(async move {
            app.cast("sanyijing", id, &t, &n, &answers("agree", &[]))
                .await
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    assert_eq!(log_size(&app, id).await, 25);
}

#[tokio::test]
async fn residents_convention_counts_adult_residents_by_head() {
    let (app, f) = setup().await;
    let year = yishiting::routes::residents::current_year();
    let csv = format!(
        "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\n\
         H1,张家,1号楼,101,R1,张三,{},是\nH1,张家,1号楼,101,R2,张小,{},否\nH2,孙家,2号楼,201,R3,孙七,{},是\n",
        year - 40,
        year - 10,
        year - 60
    );
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/residents/import?confirm=true",
            Some(&f.organiser),
        )
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut def = definition(0, 0);
    def["kind"] = json!("residents_convention");
    def["counting_rule"] = json!("convention_majority");
    let id = app.open_ballot(&f, def).await;
    let snapshot = app.board_json("sanyijing", id, "electorate").await;
    assert_eq!(snapshot["basis"], "residents");
    // Two adults; the child is not a voter. Counted by head, no area.
    assert_eq!(snapshot["headcount"], 2);
    assert_eq!(snapshot["area_centi"], 0);
    assert_eq!(snapshot["voters"][0]["rooms"], json!(["1号楼 101"]));
    assert_eq!(snapshot["voters"][0]["name"], "张*");
}

#[tokio::test]
async fn the_ballot_log_is_append_only_in_the_database() {
    use diesel::RunQueryDsl;
    let (app, f) = setup().await;
    let id = app.open_ballot(&f, definition(0, 0)).await;
    let zhang = token(&app, "zhang").await;
    let res = app
        .cast("sanyijing", id, &zhang, &nonce(), &answers("agree", &[]))
        .await;
    assert_eq!(res.status(), 201);
    let mut conn = app.db.connect();
    for sql in [
        "UPDATE ballot_leaves SET leaf = 'x'",
        "DELETE FROM ballot_leaves",
        "UPDATE ballot_checkpoints SET note = 'x'",
        "DELETE FROM ballot_checkpoints",
    ] {
        assert!(
            diesel::sql_query(sql).execute(&mut conn).is_err(),
            "{sql} was allowed"
        );
    }
    // The sealed key is stored, encrypted, and appears in no public document.
    let sealed: Vec<String> = {
        use diesel::prelude::*;
        use yishiting::db::schema::ballots::dsl::*;
        ballots
            .select(sealed_key.assume_not_null())
            .load(&mut conn)
            .unwrap()
    };
    assert!(sealed[0].starts_with("v1:"));
    for path in ["", "manifest", "electorate", "log/sth", "roll"] {
        let body = app
            .get(format!("/api/v1/communities/sanyijing/ballots/{id}/{path}").trim_end_matches('/'))
            .await
            .text()
            .await
            .unwrap();
        assert!(!body.contains(&sealed[0][3..20]), "{path}");
    }
}
