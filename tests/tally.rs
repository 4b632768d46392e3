//! The count over the API: scrutineers' keys named in the manifest, the signed preliminary
//! record at close, the objection period, objections and answers, the final record, the
//! scrutineers' co-signatures, certification, and the bundle the offline verifier accepts.
//! Runs on SQLite, and on PostgreSQL when `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use base64::Engine as _;
use common::ballots::*;
use common::{fixture, spawn_app, SAMPLE_ROSTER};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Digest;

const RECORD_CONTEXT: &[u8] = b"yishiting-tally-record-v1\n";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn scrutineer_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The co-signature, made as docs/verification.md §10 says.
fn cosign(key: &SigningKey, record_sha256: &str) -> String {
    let msg = format!("yishiting-tally-cosignature-v1\n{record_sha256}\n");
    b64(&key.sign(msg.as_bytes()).to_bytes())
}

async fn grant_scrutineer(app: &common::TestApp, f: &common::Fixture, login: &str) -> String {
    app.create_user(login, "scrutineer-password", false);
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&f.admin),
        )
        .json(&json!({ "login": login, "role": "scrutineer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    app.token(login, "scrutineer-password").await
}

async fn set_key(app: &common::TestApp, token: &str, key: &str) -> reqwest::Response {
    app.api(
        Method::PUT,
        "/api/v1/communities/sanyijing/scrutineer-key",
        Some(token),
    )
    .json(&json!({ "public_key": key }))
    .send()
    .await
    .unwrap()
}

fn user_id(app: &common::TestApp, login: &str) -> i64 {
    let mut conn = app.db.connect();
    yishiting::db::accounts::user_by_login(&mut conn, login)
        .unwrap()
        .unwrap()
        .id
}

/// The signed record, checked independently: the signature over the context and the exact
/// bytes served, and the hash of those bytes.
async fn signed_record(
    app: &common::TestApp,
    id: i64,
    stage: &str,
    vk: &VerifyingKey,
) -> (Value, String) {
    let res = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/tally/{stage}"
        ))
        .await;
    assert_eq!(res.status(), 200, "{stage}");
    let text = res.text().await.unwrap();
    let at = text.rfind(",\"signature\":").unwrap();
    let record_bytes = &text.as_bytes()["{\"record\":".len()..at];
    let outer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        jcs(&outer["record"]),
        record_bytes,
        "served as canonical JSON"
    );
    let sig: [u8; 64] = b64d(outer["signature"].as_str().unwrap())
        .try_into()
        .unwrap();
    let mut msg = RECORD_CONTEXT.to_vec();
    msg.extend_from_slice(record_bytes);
    vk.verify(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .expect("the record is signed with the ballot key, under the context prefix");
    // Without the prefix the same signature does not verify (domain separation).
    assert!(vk
        .verify(record_bytes, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_err());
    let sha = hex(&sha2::Sha256::digest(record_bytes));
    (outer["record"].clone(), sha)
}

#[tokio::test]
async fn from_close_to_certified_with_objections_and_co_signatures() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    for (login, owner) in [
        ("zhang", "A1"),
        ("wang", "B1"),
        ("zhao", "C1"),
        ("sun", "D1"),
    ] {
        app.create_owner_user(login, "owner-password", "sanyijing", owner);
    }
    let (k1, k2) = (scrutineer_key(7), scrutineer_key(9));
    let s1 = grant_scrutineer(&app, &f, "jianpiao1").await;
    let s2 = grant_scrutineer(&app, &f, "jianpiao2").await;
    // A bad key is refused; owners cannot register keys.
    assert_eq!(set_key(&app, &s1, "not-a-key").await.status(), 422);
    let zhang = app.token("zhang", "owner-password").await;
    assert_eq!(
        set_key(&app, &zhang, &b64(k1.verifying_key().as_bytes()))
            .await
            .status(),
        403
    );
    assert_eq!(
        set_key(&app, &s1, &b64(k1.verifying_key().as_bytes()))
            .await
            .status(),
        200
    );
    let (u1, u2) = (user_id(&app, "jianpiao1"), user_id(&app, "jianpiao2"));

    let mut def = definition(0, 0);
    def["counting_rule"] = json!("ordinary");
    def["scrutineers"] = json!([u1, u2]);
    // More signatures than scrutineers, or a non-scrutineer, is refused.
    def["cosignatures_required"] = json!(3);
    assert_eq!(app.create_ballot(&f, &def).await.status(), 422);
    def["cosignatures_required"] = json!(2);
    let mut not_scrutineer = def.clone();
    not_scrutineer["scrutineers"] = json!([u1, user_id(&app, "zhang")]);
    assert_eq!(app.create_ballot(&f, &not_scrutineer).await.status(), 422);
    // Announcing needs every scrutineer's key: the second has none yet.
    app.zero_notice(&f).await;
    let opens = app.clock.now() + 60;
    def["opens_at"] = json!(opens);
    def["closes_at"] = json!(opens + 7 * DAY);
    let res = app.create_ballot(&f, &def).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app.transition(&f, id, "announce", "").await;
    assert_eq!(res.status(), 409);
    let detail = res.json::<Value>().await.unwrap()["detail"].to_string();
    assert!(detail.contains("公钥"), "{detail}");
    assert_eq!(
        set_key(&app, &s2, &b64(k2.verifying_key().as_bytes()))
            .await
            .status(),
        200
    );
    assert_eq!(app.transition(&f, id, "announce", "").await.status(), 200);
    let manifest = app.board_json("sanyijing", id, "manifest").await;
    let m = &manifest["manifest"];
    assert_eq!(m["cosignatures_required"], 2);
    assert_eq!(
        m["scrutineers"][0]["public_key"],
        b64(k1.verifying_key().as_bytes())
    );
    assert_eq!(m["scrutineers"][1]["name"], "jianpiao2");
    assert_eq!(
        m["rule"]["pass"]["headcount"],
        json!({"num": 1, "den": 2, "strict": true})
    );
    let ballot_vk =
        VerifyingKey::from_bytes(&b64d(m["public_key"].as_str().unwrap()).try_into().unwrap())
            .unwrap();
    // A key changed after the announcement does not change the manifest's.
    assert_eq!(
        set_key(
            &app,
            &s1,
            &b64(scrutineer_key(8).verifying_key().as_bytes())
        )
        .await
        .status(),
        200
    );

    // Voting: three owners, one of them twice.
    app.clock.advance(61);
    for (login, yes_no, picks) in [
        ("zhang", "agree", vec!["o1"]),
        ("wang", "disagree", vec!["o1", "o2"]),
        ("sun", "agree", vec![]),
        ("zhang", "abstain", vec!["o3"]),
    ] {
        let t = app.token(login, "owner-password").await;
        let res = app
            .cast("sanyijing", id, &t, &nonce(), &answers(yes_no, &picks))
            .await;
        assert_eq!(res.status(), 201, "{login}");
    }
    // Nothing to read before the count.
    let res = app
        .get(&format!(
            "/api/v1/communities/sanyijing/ballots/{id}/tally/preliminary"
        ))
        .await;
    assert_eq!(res.status(), 404);

    // The window ends: closed, counted, the preliminary record signed.
    app.clock.advance(7 * DAY);
    let b = app.board_json("sanyijing", id, "").await;
    assert_eq!(b["status"], "tallied");
    let (prelim, prelim_sha) = signed_record(&app, id, "preliminary", &ballot_vk).await;
    assert_eq!(prelim["stage"], "preliminary");
    assert_eq!(
        prelim["ballots"],
        json!({"cast": 4, "counted": 3, "superseded": 1})
    );
    let manifest_sha = hex(&sha2::Sha256::digest(jcs(m)));
    assert_eq!(prelim["manifest_sha256"], manifest_sha);
    assert_eq!(
        prelim["snapshot_sha256"],
        m["electorate"]["snapshot_sha256"]
    );
    let sth = app.board_json("sanyijing", id, "log/sth").await;
    assert_eq!(prelim["checkpoint"]["size"], 4);
    assert_eq!(
        prelim["checkpoint"]["root"],
        hex(&b64d(sth["sha256_root_hash"].as_str().unwrap()))
    );
    assert_eq!(prelim["objection_period"]["days"], 7);
    assert_eq!(
        prelim["objection_period"]["ends_at"].as_i64().unwrap(),
        prelim["tallied_at"].as_i64().unwrap() + 7 * DAY
    );
    // The recount, by hand from the published entries: the last ballot of each voter.
    let entries = all_entries(&app, "sanyijing", id, 4).await;
    let mut last: std::collections::BTreeMap<i64, Value> = Default::default();
    for e in &entries {
        last.insert(e["leaf"]["voter"].as_i64().unwrap(), e["leaf"].clone());
    }
    let approving = |q: &str, o: &str| -> (i64, i64) {
        last.values()
            .filter(|l| {
                l["answers"].as_array().unwrap().iter().any(|a| {
                    a["question"] == q && a["choices"].as_array().unwrap().iter().any(|c| c == o)
                })
            })
            .fold((0, 0), |(a, h), l| {
                (
                    a + l["area_centi"].as_i64().unwrap(),
                    h + l["headcount"].as_i64().unwrap(),
                )
            })
    };
    let q1 = &prelim["questions"][0];
    for (i, o) in ["agree", "disagree", "abstain"].iter().enumerate() {
        let (a, h) = approving("q1", o);
        assert_eq!(q1["options"][i]["option"], *o);
        assert_eq!(
            q1["options"][i]["approving"],
            json!({"area_centi": a, "headcount": h})
        );
    }
    let part_area: i64 = last
        .values()
        .map(|l| l["area_centi"].as_i64().unwrap())
        .sum();
    assert_eq!(prelim["participation"]["area_centi"], part_area);
    assert_eq!(prelim["participation"]["headcount"], 3);

    // The objection period: no finalising, objections recorded and answered.
    assert_eq!(app.transition(&f, id, "finalise", "").await.status(), 409);
    assert_eq!(app.transition(&f, id, "certify", "").await.status(), 409);
    let obj = |body: Value| {
        app.api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/objections"),
            Some(&f.organiser),
        )
        .json(&body)
        .send()
    };
    assert_eq!(obj(json!({ "text": "  " })).await.unwrap().status(), 422);
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/objections"),
            Some(&zhang),
        )
        .json(&json!({ "text": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = obj(json!({ "text": "3号楼业主反映未收到表决通知" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let oid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, id, "finalise", "").await;
    assert_eq!(res.status(), 409);
    let detail = res.json::<Value>().await.unwrap()["detail"].to_string();
    assert!(detail.contains("异议"), "{detail}");
    let respond = |text: &str| {
        app.api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/objections/{oid}/response"),
            Some(&f.organiser),
        )
        .json(&json!({ "response": text }))
        .send()
    };
    assert_eq!(
        respond("经核实，通知已于公告栏张贴并逐户送达。")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(respond("再答一次").await.unwrap().status(), 409);
    let res = app.transition(&f, id, "finalise", "").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "finalised");
    assert_eq!(
        obj(json!({ "text": "太晚了" })).await.unwrap().status(),
        409
    );
    let (fin, fin_sha) = signed_record(&app, id, "final", &ballot_vk).await;
    assert_eq!(fin["stage"], "final");
    assert_eq!(fin["preliminary_sha256"], prelim_sha);
    assert_eq!(fin["objections"][0]["text"], "3号楼业主反映未收到表决通知");
    assert_eq!(fin["questions"], prelim["questions"]);

    // Certifying needs two co-signatures.
    let res = app.transition(&f, id, "certify", "").await;
    assert_eq!(res.status(), 409);
    let detail = res.json::<Value>().await.unwrap()["detail"].to_string();
    assert!(detail.contains("监票人签名不足"), "{detail}");
    let post_cosig = |token: &str, sig: String| {
        app.api(
            Method::POST,
            &format!("/api/v1/communities/sanyijing/ballots/{id}/cosignatures"),
            Some(token),
        )
        .json(&json!({ "signature": sig }))
        .send()
    };
    // Signed with the key registered later (not the manifest's), over the preliminary
    // record, or by someone who is not a scrutineer: refused.
    assert_eq!(
        post_cosig(&s1, cosign(&scrutineer_key(8), &fin_sha))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post_cosig(&s1, cosign(&k1, &prelim_sha))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(post_cosig(&s1, "AAAA".into()).await.unwrap().status(), 400);
    assert_eq!(
        post_cosig(&zhang, cosign(&k1, &fin_sha))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post_cosig(&s1, cosign(&k1, &fin_sha))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        post_cosig(&s1, cosign(&k1, &fin_sha))
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(app.transition(&f, id, "certify", "").await.status(), 409);
    let res = post_cosig(&s2, cosign(&k2, &fin_sha)).await.unwrap();
    assert_eq!(res.status(), 201);
    let cosigs: Value = res.json().await.unwrap();
    assert_eq!(cosigs.as_array().unwrap().len(), 2);
    assert_eq!(cosigs[1]["name"], "jianpiao2");
    let res = app.transition(&f, id, "certify", "").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "certified");

    // The bundle: the offline verifier accepts it, and agrees with the record.
    let res = app.get(&format!("/api/v1/ballots/{id}/bundle")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/gzip");
    let bytes = res.bytes().await.unwrap();
    let report = yishiting::verify::verify_archive(bytes.as_ref());
    let failures: Vec<_> = report.failures().collect();
    assert!(report.ok(), "{failures:?}");
    assert_eq!(
        report.final_record_sha256.as_deref(),
        Some(fin_sha.as_str())
    );
    // Every file, the entries last, so a verifier streaming the archive reads them last.
    let mut names = Vec::new();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    for e in ar.entries().unwrap() {
        names.push(e.unwrap().path().unwrap().to_string_lossy().into_owned());
    }
    let expected: Vec<String> = yishiting::verify::BUNDLE_FILES
        .iter()
        .map(|n| format!("ballot-{id}/{n}"))
        .collect();
    assert_eq!(names, expected);
    // The command-line verifier agrees, in English and as JSON.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join(format!("ballot-{id}.tar.gz"));
    std::fs::write(&archive, &bytes).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yishiting"))
        .arg("verify")
        .arg(&archive)
        .args(["--lang", "en", "--json", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json_start = stdout.find('{').unwrap();
    let report: Value = serde_json::from_str(stdout[json_start..].trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["ok"], true);
    // A draft or unknown ballot has no bundle.
    assert_eq!(app.get("/api/v1/ballots/9999/bundle").await.status(), 404);

    // The pages: the result with its charts, the notice with the record hash and a QR code.
    let html = app
        .get(&format!("/c/sanyijing/ballots/{id}/result"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&fin_sha),
        "the record hash is on the result page"
    );
    assert!(html.contains("<svg") && html.contains("class=\"threshold\""));
    assert!(html.contains("经核实，通知已于公告栏张贴并逐户送达。"));
    assert!(html.contains("data-signed=\"true\""));
    let html = app
        .get(&format!("/c/sanyijing/ballots/{id}/result/notice"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&fin_sha));
    let qr_at = html.find("id=\"notice-qr\"").unwrap();
    assert!(html[qr_at..].contains("<svg"), "the QR code is inline SVG");
    assert!(html.contains(&format!("/c/sanyijing/ballots/{id}")));
}

#[tokio::test]
async fn no_quorum_is_counted_and_published_as_such() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    // The community's objection period: 1 to 60 days, set by organisers only.
    let set_days = |token: String, days: i64| {
        app.api(
            Method::PUT,
            "/api/v1/communities/sanyijing/objection-period",
            Some(&token),
        )
        .json(&json!({ "days": days }))
        .send()
    };
    assert_eq!(
        set_days(f.organiser.clone(), 0).await.unwrap().status(),
        422
    );
    assert_eq!(
        set_days(f.organiser.clone(), 61).await.unwrap().status(),
        422
    );
    let zhang = app.token("zhang", "owner-password").await;
    assert_eq!(set_days(zhang, 3).await.unwrap().status(), 403);
    assert_eq!(
        set_days(f.organiser.clone(), 4).await.unwrap().status(),
        200
    );
    // The same from the page, without JavaScript.
    let browser = app.browser_login("organiser", "organiser-password").await;
    let html = browser
        .get(app.url("/c/sanyijing/ballots"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"objection-days\""));
    let res = browser
        .post(app.url("/c/sanyijing/objection-period"))
        .form(&[("csrf", common::csrf_of(&html).as_str()), ("days", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let mut conn = app.db.connect();
    let c = yishiting::db::communities::by_slug(&mut conn, "sanyijing")
        .unwrap()
        .unwrap();
    assert_eq!(c.objection_days, 3);
    let id = app.open_ballot(&f, definition(0, 0)).await;
    let t = app.token("zhang", "owner-password").await;
    let res = app
        .cast("sanyijing", id, &t, &nonce(), &answers("agree", &["o1"]))
        .await;
    assert_eq!(res.status(), 201);
    // The organiser closes by hand once the window is over; the count follows at once.
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, id, "close", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    let b = app.board_json("sanyijing", id, "").await;
    assert_eq!(b["status"], "tallied");
    let rec = app.board_json("sanyijing", id, "tally/preliminary").await;
    assert_eq!(rec["record"]["participation"]["met"], false);
    assert_eq!(rec["record"]["objection_period"]["days"], 3);
    assert_eq!(
        rec["record"]["objection_period"]["ends_at"]
            .as_i64()
            .unwrap(),
        rec["record"]["tallied_at"].as_i64().unwrap() + 3 * DAY
    );
    assert_eq!(
        rec["record"]["questions"][0]["outcome"],
        json!({"kind": "no_quorum"})
    );
    let html = app
        .get(&format!("/c/sanyijing/ballots/{id}/result"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-outcome=\"no_quorum\""));
    // With no scrutineers named, the result can be certified without co-signatures.
    app.clock.advance(7 * DAY);
    assert_eq!(
        app.transition(&f, id, "finalise", "")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "finalised"
    );
    assert_eq!(
        app.transition(&f, id, "certify", "")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "certified"
    );
}
