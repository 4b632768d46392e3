//! Proxy votes (委托投票) and paper ballots (书面表决票) through the API, against a real server
//! and database: authorisations and their refusals, casting by proxy, printed papers with
//! one-time codes, paper entries, corrections and scrutineers' confirmations, and how
//! online, proxy and paper ballots of one voter resolve under each conflict rule
//! (docs/verification.md §14). The closing bundle passes the offline verifier.

mod common;

use base64::Engine as _;
use common::ballots::{answers, definition, nonce, DAY};
use common::{fixture, spawn_app, Fixture, TestApp, SAMPLE_ROSTER};
use ed25519_dalek::SigningKey;
use reqwest::Method;
use serde_json::{json, Value};

const SCAN_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SCAN_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SCAN_C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const SCAN_D: &str = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

struct Setup {
    app: TestApp,
    f: Fixture,
    /// Owners: zhang (A1, co-owner of 1-101), wang (B1), zhao (C1), sun (D1).
    tokens: std::collections::HashMap<&'static str, String>,
}

impl Setup {
    async fn new() -> Setup {
        let app = spawn_app().await;
        let f = fixture(&app).await;
        assert_eq!(
            f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
            200
        );
        let mut tokens = std::collections::HashMap::new();
        for (login, owner) in [
            ("zhang", "A1"),
            ("wang", "B1"),
            ("zhao", "C1"),
            ("sun", "D1"),
        ] {
            app.create_owner_user(login, "owner-password", "sanyijing", owner);
            tokens.insert(login, app.token(login, "owner-password").await);
        }
        // A proxy who is not an owner (a relative with an account).
        app.create_user("daili", "proxy-password", false);
        tokens.insert("daili", app.token("daili", "proxy-password").await);
        Setup { app, f, tokens }
    }

    fn t(&self, who: &str) -> &str {
        if who == "organiser" {
            return &self.f.organiser;
        }
        self.tokens
            .get(who)
            .map(String::as_str)
            .expect("a known user")
    }

    fn path(&self, id: i64, rest: &str) -> String {
        format!("/api/v1/communities/sanyijing/ballots/{id}/{rest}")
    }

    async fn send(&self, who: &str, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self.app.api(m, path, Some(self.t(who)));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, who: &str, id: i64, rest: &str, body: Value) -> (u16, Value) {
        self.send(who, Method::POST, &self.path(id, rest), Some(body))
            .await
    }

    async fn get(&self, who: &str, id: i64, rest: &str) -> (u16, Value) {
        self.send(who, Method::GET, &self.path(id, rest), None)
            .await
    }

    /// The voter index of an owner's account in a ballot (from the public electorate).
    async fn voter_of(&self, id: i64, room: &str) -> i64 {
        let e = self.app.board_json("sanyijing", id, "electorate").await;
        e["voters"]
            .as_array()
            .unwrap()
            .iter()
            .position(|v| v["rooms"].as_array().unwrap().iter().any(|r| r == room))
            .expect("room in the electorate") as i64
    }

    /// The one-time code on a voter's printed paper.
    async fn code_of(&self, id: i64, voter: i64) -> String {
        let (_, sheets) = self.get("organiser", id, "papers").await;
        let sheet = sheets["papers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["voter"] == voter);
        sheet.expect("a paper for the voter")["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn roll(&self, id: i64) -> Vec<i64> {
        let r = self.app.board_json("sanyijing", id, "roll").await;
        r["voters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    }

    /// The public log's entries.
    async fn entries(&self, id: i64) -> Vec<Value> {
        let cp = self.app.board_json("sanyijing", id, "log/sth").await;
        let size = cp["tree_size"].as_i64().unwrap_or(0);
        if size == 0 {
            return Vec::new();
        }
        let r = self
            .app
            .board_json(
                "sanyijing",
                id,
                &format!("log/entries?start=0&end={}", size - 1),
            )
            .await;
        r["entries"].as_array().unwrap().clone()
    }

    async fn cast(&self, who: &str, id: i64, yes: &str) -> (u16, Value) {
        self.post(
            who,
            id,
            "casts",
            json!({"nonce": nonce(), "answers": answers(yes, &["o1"])}),
        )
        .await
    }

    async fn proxy_cast(&self, who: &str, id: i64, voter: i64, yes: &str) -> (u16, Value) {
        self.post(
            who,
            id,
            "proxy-casts",
            json!({"voter": voter, "nonce": nonce(), "answers": answers(yes, &["o2"])}),
        )
        .await
    }

    async fn audit_len(&self) -> usize {
        let (s, v) = self
            .send(
                "organiser",
                Method::GET,
                "/api/v1/communities/sanyijing/audit",
                None,
            )
            .await;
        assert_eq!(s, 200);
        v.as_array()
            .map(Vec::len)
            .unwrap_or_else(|| v["entries"].as_array().map(Vec::len).unwrap_or(0))
    }
}

fn message(v: &Value) -> String {
    v.to_string()
}

/// Register a scrutineer with a key.
async fn scrutineer(s: &Setup, login: &str, seed: u8) -> (i64, String) {
    let id = s.app.create_user(login, "scrutineer-password", false);
    let res = s
        .app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&s.f.admin),
        )
        .json(&json!({ "login": login, "role": "scrutineer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let token = s.app.token(login, "scrutineer-password").await;
    let key = SigningKey::from_bytes(&[seed; 32]);
    let res = s
        .app
        .api(Method::PUT, "/api/v1/communities/sanyijing/scrutineer-key", Some(&token))
        .json(&json!({ "public_key": base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes()) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    (id, token)
}

#[tokio::test]
async fn proxies_are_authorised_capped_revocable_and_overridden_by_the_owner() {
    let s = Setup::new().await;
    let mut def = definition(0, 0);
    def["proxy_cap"] = json!(1);
    let id = s.app.open_ballot(&s.f, def).await;
    let manifest = s.app.board_json("sanyijing", id, "manifest").await;
    // The defaults leave the manifest as before.
    assert!(manifest["manifest"].get("casting").is_none(), "{manifest}");
    let zhang_v = s.voter_of(id, "1号楼 101").await;
    let wang_v = s.voter_of(id, "1号楼 102").await;
    let sun_v = s.voter_of(id, "2号楼 201").await;

    // Bad input changes nothing: a proxy for oneself, an unknown account, a non-organiser
    // entering a paper authorisation.
    let before = s.audit_len().await;
    let (st, body) = s
        .post("zhang", id, "proxies", json!({"proxy": "zhang"}))
        .await;
    assert_eq!(st, 422, "{body}");
    assert!(
        message(&body).contains("casting-error-proxy-self") || message(&body).contains("委托自己"),
        "{body}"
    );
    let (st, _) = s
        .post("zhang", id, "proxies", json!({"proxy": "nobody"}))
        .await;
    assert_eq!(st, 422);
    let (st, _) = s
        .post(
            "zhang",
            id,
            "proxies",
            json!({"proxy": "daili", "voter": wang_v, "scan_sha256": SCAN_A}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = s
        .post("daili", id, "proxies", json!({"proxy": "wang"}))
        .await;
    assert_eq!(st, 403, "a non-owner has no voter to authorise for");
    assert_eq!(s.audit_len().await, before);
    assert!(s.get("organiser", id, "proxies").await.1["authorisations"]
        .as_array()
        .unwrap()
        .is_empty());

    // zhang authorises daili online; the cap (1) stops a second owner choosing daili.
    let (st, a) = s
        .post("zhang", id, "proxies", json!({"proxy": "daili"}))
        .await;
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["source"], "online");
    assert_eq!(a["voter"], zhang_v);
    let zhang_auth = a["id"].as_i64().unwrap();
    let (st, body) = s
        .post("wang", id, "proxies", json!({"proxy": "daili"}))
        .await;
    assert_eq!(st, 409);
    assert!(
        message(&body).contains("代理的业主人数已达上限") || message(&body).contains("proxy-cap"),
        "{body}"
    );
    // A second active authorisation for the same owner is refused too.
    let (st, _) = s
        .post("zhang", id, "proxies", json!({"proxy": "wang"}))
        .await;
    assert_eq!(st, 409);
    // Who sees what: the owner and the proxy see it, another owner does not.
    assert_eq!(
        s.get("daili", id, "proxies").await.1["authorisations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.get("zhang", id, "proxies").await.1["authorisations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(s.get("sun", id, "proxies").await.1["authorisations"]
        .as_array()
        .unwrap()
        .is_empty());

    // daili votes for zhang: a proxy leaf with a holder tag, counted.
    let (st, receipt) = s.proxy_cast("daili", id, zhang_v, "agree").await;
    assert_eq!(st, 201, "{receipt}");
    let leaf = &receipt["leaf"];
    assert_eq!(leaf["channel"], "proxy");
    assert_eq!(leaf["proxy"]["source"], "online");
    let holder = leaf["proxy"]["holder"].as_str().unwrap();
    assert_eq!(holder.len(), 32);
    assert_eq!(leaf["voter"], zhang_v);
    assert!(s.roll(id).await.contains(&zhang_v));
    // Not for an owner who did not authorise daili.
    let (st, body) = s.proxy_cast("daili", id, wang_v, "agree").await;
    assert_eq!(st, 409);
    assert!(
        message(&body).contains("没有委托书授权") || message(&body).contains("proxy-unauthorised"),
        "{body}"
    );
    // Once the proxy has voted the authorisation cannot be revoked.
    let (st, body) = s
        .post(
            "zhang",
            id,
            &format!("proxies/{zhang_auth}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(st, 409, "{body}");
    // The owner votes in person: that overrides the proxy, and the proxy cannot vote again.
    let (st, own) = s.cast("zhang", id, "disagree").await;
    assert_eq!(st, 201);
    assert!(
        own["leaf"].get("channel").is_none(),
        "online leaves have no channel"
    );
    let (st, body) = s.proxy_cast("daili", id, zhang_v, "agree").await;
    assert_eq!(st, 409);
    assert!(
        message(&body).contains("业主已亲自投票") || message(&body).contains("proxy-overridden"),
        "{body}"
    );
    let entries = s.entries(id).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0]["superseded"], true,
        "the proxy ballot is set aside"
    );
    assert_eq!(entries[1]["counts"], true);

    // sun authorises wang and revokes before wang votes; wang can then not vote for sun.
    let (st, a) = s.post("sun", id, "proxies", json!({"proxy": "wang"})).await;
    assert_eq!(st, 201);
    let sun_auth = a["id"].as_i64().unwrap();
    let (st, a) = s
        .post("sun", id, &format!("proxies/{sun_auth}/revoke"), json!({}))
        .await;
    assert_eq!(st, 200, "{a}");
    assert!(a["revoked_at"].is_i64());
    let (st, _) = s
        .post("sun", id, &format!("proxies/{sun_auth}/revoke"), json!({}))
        .await;
    assert_eq!(st, 409, "already revoked");
    let (st, body) = s.proxy_cast("wang", id, sun_v, "agree").await;
    assert_eq!(st, 409);
    assert!(
        message(&body).contains("委托已经撤销") || message(&body).contains("proxy-revoked"),
        "{body}"
    );
    // Another owner cannot revoke someone else's authorisation.
    let (st, _) = s
        .post(
            "zhao",
            id,
            &format!("proxies/{zhang_auth}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(st, 403);

    // An organiser enters wang's paper authorisation of zhao (an owner whose unit is not
    // delivered, so not a voter), with the scan's hash; the same
    // scan cannot be entered twice, and a malformed hash is refused.
    let (st, body) = s
        .post(
            "organiser",
            id,
            "proxies",
            json!({"proxy": "zhao", "voter": wang_v, "scan_sha256": "12ab"}),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, a) = s
        .post(
            "organiser",
            id,
            "proxies",
            json!({"proxy": "zhao", "voter": wang_v, "scan_sha256": SCAN_A.to_uppercase()}),
        )
        .await;
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["source"], "paper");
    assert_eq!(a["scan_sha256"], SCAN_A, "stored in lower case");
    let (st, body) = s
        .post(
            "organiser",
            id,
            "proxies",
            json!({"proxy": "daili", "voter": sun_v, "scan_sha256": SCAN_A}),
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        message(&body).contains("已经用于另一张") || message(&body).contains("scan-reused"),
        "{body}"
    );
    let (st, r) = s.proxy_cast("zhao", id, wang_v, "agree").await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["leaf"]["proxy"]["source"], "paper");
    assert_eq!(r["leaf"]["proxy"]["scan_sha256"], SCAN_A);
    assert_ne!(r["leaf"]["proxy"]["holder"], holder, "one tag per proxy");
    assert!(s.roll(id).await.contains(&wang_v));
}

#[tokio::test]
async fn papers_are_entered_confirmed_by_another_person_corrected_and_counted() {
    let s = Setup::new().await;
    let (j1, s1) = scrutineer(&s, "jianpiao1", 7).await;
    let (j2, s2) = scrutineer(&s, "jianpiao2", 9).await;
    // jianpiao1 also organises: it may enter papers, but never confirm its own.
    let res = s
        .app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&s.f.admin),
        )
        .json(&json!({ "login": "jianpiao1", "role": "organiser", "body": "owners_committee" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut s = s;
    s.tokens.insert("s1", s1);
    s.tokens.insert("s2", s2);
    let mut def = definition(0, 0);
    def["scrutineers"] = json!([j1, j2]);
    let id = s.app.open_ballot(&s.f, def).await;
    let wang_v = s.voter_of(id, "1号楼 102").await;
    let sun_v = s.voter_of(id, "2号楼 201").await;

    // Papers: organisers only; one code per voter, distinct, in groups of four.
    assert_eq!(s.get("wang", id, "papers").await.0, 403);
    let (st, sheets) = s.get("organiser", id, "papers").await;
    assert_eq!(st, 200);
    let sheets = sheets["papers"].as_array().unwrap().clone();
    let code_of = |v: i64| {
        sheets.iter().find(|p| p["voter"] == v).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let codes: std::collections::HashSet<_> =
        sheets.iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), sheets.len());
    assert_eq!(code_of(wang_v).len(), 14);
    // The same codes when printed again.
    assert_eq!(
        s.get("organiser", id, "papers").await.1["papers"]
            .as_array()
            .unwrap(),
        &sheets
    );

    // Bad input changes nothing.
    let paper = |code: &str, scan: &str, yes: &str| json!({"code": code, "scan_sha256": scan, "answers": answers(yes, &["o1", "o3"])});
    for (body, field) in [
        (paper("ABCD-EFGH-JKLM", SCAN_B, "agree"), "code"),
        (paper("0000", SCAN_B, "agree"), "code"),
        (
            paper(&code_of(wang_v), "not-a-hash", "agree"),
            "scan_sha256",
        ),
        (
            json!({"scan_sha256": SCAN_B, "answers": answers("agree", &[])}),
            "code",
        ),
    ] {
        let (st, v) = s.post("organiser", id, "papers", body).await;
        assert_eq!(st, 422, "{v}");
        assert!(message(&v).contains(field), "{v}");
    }
    assert_eq!(
        s.post(
            "wang",
            id,
            "papers",
            paper(&code_of(wang_v), SCAN_B, "agree")
        )
        .await
        .0,
        403
    );
    assert!(s.entries(id).await.is_empty());

    // The organiser enters wang's paper: it waits for a scrutineer and does not count yet.
    let code = code_of(wang_v).to_lowercase().replace('-', " ");
    let (st, r) = s
        .post("organiser", id, "papers", paper(&code, SCAN_B, "agree"))
        .await;
    assert_eq!(st, 201, "{r}");
    let original = r["leaf_index"].as_i64().unwrap();
    assert_eq!(r["leaf"]["channel"], "paper");
    assert_eq!(r["leaf"]["paper"]["scan_sha256"], SCAN_B);
    assert!(r["leaf"]["paper"].get("confirmed_by").is_none());
    assert!(!s.roll(id).await.contains(&wang_v));
    let (_, pending) = s.get("s2", id, "papers/pending").await;
    assert_eq!(pending["pending"][0]["leaf_index"], original);
    assert_eq!(s.get("wang", id, "papers/pending").await.0, 403);
    assert_eq!(s.entries(id).await[0]["pending"], true);
    // The code is one-time; a scan is one paper's.
    let (st, v) = s
        .post(
            "organiser",
            id,
            "papers",
            paper(&code_of(wang_v), SCAN_C, "agree"),
        )
        .await;
    assert_eq!(st, 409);
    assert!(
        message(&v).contains("已经录入过") || message(&v).contains("paper-code-used"),
        "{v}"
    );
    let (st, v) = s
        .post(
            "organiser",
            id,
            "papers",
            paper(&code_of(sun_v), SCAN_B, "agree"),
        )
        .await;
    assert_eq!(st, 409);
    assert!(
        message(&v).contains("scan-reused") || message(&v).contains("已经用于另一张"),
        "{v}"
    );

    // Only the ballot's scrutineers confirm; jianpiao1 enters sun's paper and cannot confirm
    // it, jianpiao2 can.
    assert_eq!(
        s.post(
            "organiser",
            id,
            &format!("papers/{original}/confirm"),
            json!({})
        )
        .await
        .0,
        403
    );
    let (st, r) = s
        .post(
            "s1",
            id,
            "papers",
            paper(&code_of(sun_v), SCAN_C, "disagree"),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let sun_paper = r["leaf_index"].as_i64().unwrap();
    let (st, v) = s
        .post("s1", id, &format!("papers/{sun_paper}/confirm"), json!({}))
        .await;
    assert_eq!(st, 409);
    assert!(
        message(&v).contains("不能自己确认") || message(&v).contains("confirm-own-entry"),
        "{v}"
    );
    let (st, r) = s
        .post("s2", id, &format!("papers/{sun_paper}/confirm"), json!({}))
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["leaf"]["paper"]["confirmed_by"], 1);
    assert!(s.roll(id).await.contains(&sun_v));

    // jianpiao1 confirms wang's paper: the confirming leaf repeats answers and scan.
    let (st, r) = s
        .post("s1", id, &format!("papers/{original}/confirm"), json!({}))
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["leaf"]["corrects"], original);
    assert_eq!(r["leaf"]["paper"]["confirmed_by"], 0);
    assert_eq!(r["leaf"]["paper"]["scan_sha256"], SCAN_B);
    assert_eq!(r["leaf"]["answers"][0]["choices"][0], "agree");
    assert!(s.roll(id).await.contains(&wang_v));
    let (st, _) = s
        .post(
            "s2",
            id,
            &format!("papers/{}/confirm", r["leaf_index"]),
            json!({}),
        )
        .await;
    assert_eq!(st, 409, "already confirmed");

    // A correction (the same scan may stay) waits for confirmation again; the stale entry
    // cannot be confirmed; the corrected answers count once confirmed.
    let (st, c) = s
        .post("organiser", id, "papers", json!({"corrects": original, "scan_sha256": SCAN_B, "answers": answers("disagree", &["o2"])}))
        .await;
    assert_eq!(st, 201, "{c}");
    assert_eq!(c["leaf"]["corrects"], original);
    let correction = c["leaf_index"].as_i64().unwrap();
    assert!(
        !s.roll(id).await.contains(&wang_v),
        "the latest entry waits"
    );
    let (st, _) = s
        .post("s2", id, &format!("papers/{original}/confirm"), json!({}))
        .await;
    assert_eq!(st, 409, "stale");
    let (st, r) = s
        .post("s2", id, &format!("papers/{correction}/confirm"), json!({}))
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["leaf"]["answers"][0]["choices"][0], "disagree");
    assert!(s.roll(id).await.contains(&wang_v));

    // Under the default rule wang's later online ballot counts; the papers stay in the log.
    let (st, _) = s.cast("wang", id, "agree").await;
    assert_eq!(st, 201);
    let entries = s.entries(id).await;
    let counting: Vec<i64> = entries
        .iter()
        .filter(|e| e["counts"] == true)
        .map(|e| e["leaf_index"].as_i64().unwrap())
        .collect();
    assert_eq!(
        counting.len(),
        2,
        "one per voter: wang's online, sun's confirmed paper"
    );
    assert!(counting.contains(&(entries.len() as i64 - 1)));

    // Close and count: the tally counts two voters, and the bundle verifies offline.
    s.app.clock.advance(8 * DAY);
    let res = s.app.transition(&s.f, id, "close", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    let (_, b) = s
        .send(
            "organiser",
            Method::GET,
            &format!("/api/v1/communities/sanyijing/ballots/{id}"),
            None,
        )
        .await;
    assert!(b["status"] == "tallied" || b["status"] == "closed", "{b}");
    let res = s.app.get(&format!("/api/v1/ballots/{id}/bundle")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let report = yishiting::verify::verify_archive(bytes.as_ref());
    let failures: Vec<_> = report.failures().collect();
    assert!(report.ok(), "{failures:?}");
    let rec = s.app.board_json("sanyijing", id, "tally/preliminary").await;
    assert_eq!(rec["record"]["ballots"]["counted"], 2, "{rec}");
    // Nothing is taken after close.
    let (st, _) = s
        .post(
            "organiser",
            id,
            "papers",
            paper(&code_of(s.voter_of(id, "1号楼 102").await), SCAN_D, "agree"),
        )
        .await;
    assert_eq!(st, 409);
}

#[tokio::test]
async fn conflict_rules_decide_between_online_proxy_and_paper_ballots() {
    let s = Setup::new().await;
    let (j1, s1) = scrutineer(&s, "jianpiao1", 7).await;
    let mut s = s;
    s.tokens.insert("s1", s1);
    // Bad casting terms are refused.
    for (k, v) in [
        ("proxy_cap", json!(21)),
        ("proxy_cap", json!(-1)),
        ("conflict_rule", json!("whatever")),
    ] {
        let mut def = definition(s.app.clock.now() + DAY, s.app.clock.now() + 3 * DAY);
        def[k] = v;
        let res = s.app.create_ballot(&s.f, &def).await;
        assert_eq!(res.status(), 422, "{k}");
    }

    // first_only: the first own ballot counts; a second is refused.
    let mut def = definition(0, 0);
    def["conflict_rule"] = json!("first_only");
    def["scrutineers"] = json!([j1]);
    let id = s.app.open_ballot(&s.f, def).await;
    let manifest = s.app.board_json("sanyijing", id, "manifest").await;
    assert_eq!(
        manifest["manifest"]["casting"]["conflict_rule"],
        "first_only"
    );
    let wang_v = s.voter_of(id, "1号楼 102").await;
    let code = s.code_of(id, wang_v).await;
    assert_eq!(s.cast("wang", id, "agree").await.0, 201);
    let (st, v) = s.cast("wang", id, "disagree").await;
    assert_eq!(st, 409);
    assert!(
        message(&v).contains("只计第一张") || message(&v).contains("conflict-refused"),
        "{v}"
    );
    let (st, _) = s
        .post(
            "organiser",
            id,
            "papers",
            json!({"code": code, "scan_sha256": SCAN_A, "answers": answers("disagree", &[])}),
        )
        .await;
    assert_eq!(st, 409, "a paper after a counted ballot, under first_only");
    assert_eq!(s.entries(id).await.len(), 1);

    // paper_final: a confirmed paper beats a later online ballot, which is then refused.
    let mut def = definition(0, 0);
    def["conflict_rule"] = json!("paper_final");
    def["scrutineers"] = json!([j1]);
    let id = s.app.open_ballot(&s.f, def).await;
    let wang_v = s.voter_of(id, "1号楼 102").await;
    let code = s.code_of(id, wang_v).await;
    assert_eq!(s.cast("wang", id, "agree").await.0, 201);
    let (st, r) = s
        .post(
            "organiser",
            id,
            "papers",
            json!({"code": code, "scan_sha256": SCAN_A, "answers": answers("disagree", &[])}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let paper = r["leaf_index"].as_i64().unwrap();
    let (st, _) = s
        .post("s1", id, &format!("papers/{paper}/confirm"), json!({}))
        .await;
    assert_eq!(st, 201);
    let entries = s.entries(id).await;
    assert_eq!(
        entries[0]["superseded"], true,
        "the earlier online ballot is set aside"
    );
    assert_eq!(entries[2]["counts"], true, "the confirmed paper counts");
    let (st, v) = s.cast("wang", id, "agree").await;
    assert_eq!(st, 409);
    assert!(
        message(&v).contains("paper-final") || message(&v).contains("经确认的书面表决票"),
        "{v}"
    );
}
