//! Conventions (管理规约 / 居民公约): drafting from text (bad text refused, nothing stored),
//! comments per article, amendments accepted into a new version or rejected with a reason,
//! the diff, and adoption by a ballot whose manifest carries the version's text hash, checked
//! against the documented canonical text computed here. The pages are tested in
//! `tests/convention_pages.rs`. Runs on SQLite, and on PostgreSQL
//! when `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::ballots::*;
use common::{fixture, spawn_app, Fixture, TestApp, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Digest;

const TEXT: &str = "第一条 总则\n为维护全体业主的合法权益，根据《民法典》制定本规约。\n\n第二条 物业使用\n业主不得擅自改变房屋用途。\n第三条　附则\n本规约自业主大会表决通过之日起生效。\n";
const BASE: &str = "/api/v1/communities/sanyijing/conventions";

/// The canonical text of docs/verification.md §3, built from the API's articles.
fn canonical(articles: &Value) -> String {
    articles
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "第{}条 {}\n{}\n",
                a["number"],
                a["heading"].as_str().unwrap(),
                a["body"].as_str().unwrap()
            )
        })
        .collect()
}

fn sha256(s: &str) -> String {
    hex(&sha2::Sha256::digest(s.as_bytes()))
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.api(method, path, Some(token))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn fields(res: reqwest::Response) -> Vec<String> {
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn setup() -> (TestApp, Fixture) {
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
    (app, f)
}

async fn create(app: &TestApp, f: &Fixture, kind: &str, title: &str) -> i64 {
    let res = send(
        app,
        Method::POST,
        BASE,
        &f.organiser,
        json!({"kind": kind, "title": title, "text": TEXT}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["versions"][0]["version"], 1);
    assert_eq!(c["versions"][0]["status"], "draft");
    c["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_management_convention_from_draft_to_adopted() {
    let (app, f) = setup().await;
    let zhang = app.token("zhang", "owner-password").await;
    let wang = app.token("wang", "owner-password").await;

    // Bad text is refused with the fields named, and nothing is stored.
    let bad =
        json!({"kind": "bylaw", "title": " ", "text": "前言：为了小区和谐\n第一条 总则\n正文"});
    let res = send(&app, Method::POST, BASE, &f.organiser, bad).await;
    assert_eq!(fields(res).await, ["title", "kind", "articles"]);
    let res = send(
        &app,
        Method::POST,
        BASE,
        &f.organiser,
        json!({"kind": "management", "title": "规约", "text": "第一条 总则\n\n第二条\n"}),
    )
    .await;
    assert_eq!(fields(res).await, ["articles[2]"]);
    assert_eq!(get_json(&app, BASE).await, json!([]));
    // Owners cannot draft.
    let res = send(
        &app,
        Method::POST,
        BASE,
        &zhang,
        json!({"kind": "management", "title": "x", "text": TEXT}),
    )
    .await;
    assert_eq!(res.status(), 403);

    let id = create(&app, &f, "management", "三义井小区管理规约").await;
    let v1 = get_json(&app, &format!("{BASE}/{id}/versions/1")).await;
    assert_eq!(v1["articles"].as_array().unwrap().len(), 3);
    assert_eq!(v1["articles"][2]["heading"], "附则");
    assert_eq!(v1["text_sha256"], sha256(&canonical(&v1["articles"])));

    // A comment on article 2; bad ones are refused with the field.
    let path = format!("{BASE}/{id}/versions/1/comments");
    let res = send(
        &app,
        Method::POST,
        &path,
        &zhang,
        json!({"article": 2, "body": "消防通道也应写进来。"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = send(
        &app,
        Method::POST,
        &path,
        &zhang,
        json!({"article": 9, "body": " "}),
    )
    .await;
    assert_eq!(fields(res).await, ["article", "body"]);
    let v1 = get_json(&app, &format!("{BASE}/{id}/versions/1")).await;
    assert_eq!(
        v1["articles"][1]["comments"][0]["body"],
        "消防通道也应写进来。"
    );
    assert_eq!(v1["articles"][0]["comments"], json!([]));

    // Amendments: one to change article 2, one to add an article; a reason is required.
    let path = format!("{BASE}/{id}/versions/1/amendments");
    let new_body = "业主不得擅自改变房屋用途，不得占用消防通道。";
    let res = send(&app, Method::POST, &path, &zhang, json!({"kind": "replace", "article": 2, "heading": "物业使用", "body": new_body, "reason": ""})).await;
    assert_eq!(fields(res).await, ["reason"]);
    let res = send(&app, Method::POST, &path, &zhang, json!({"kind": "replace", "article": 2, "heading": "物业使用", "body": new_body, "reason": "补充消防通道要求"})).await;
    assert_eq!(res.status(), 201);
    let a1 = res.json::<Value>().await.unwrap();
    assert_eq!(a1["status"], "pending");
    let res = send(&app, Method::POST, &path, &wang, json!({"kind": "add", "heading": "解释", "body": "本规约由业主委员会负责解释。", "reason": "明确解释权"})).await;
    assert_eq!(res.status(), 201);
    let a2 = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // Deciding: organisers only, a reason either way, once.
    let decide = |aid: i64, token: String, decision: &'static str, reason: &'static str| {
        let app = &app;
        async move {
            send(
                app,
                Method::POST,
                &format!("{BASE}/{id}/amendments/{aid}/decision"),
                &token,
                json!({"decision": decision, "reason": reason}),
            )
            .await
        }
    };
    let a1_id = a1["id"].as_i64().unwrap();
    assert_eq!(
        decide(a1_id, zhang.clone(), "accept", "好").await.status(),
        403
    );
    assert_eq!(
        fields(decide(a1_id, f.organiser.clone(), "accept", " ").await).await,
        ["reason"]
    );
    let res = decide(a1_id, f.organiser.clone(), "accept", "采纳：消防安全").await;
    assert_eq!(res.status(), 200);
    let a1 = res.json::<Value>().await.unwrap();
    assert_eq!(a1["status"], "accepted");
    assert_eq!(a1["result_version"], 2);
    assert_eq!(a1["decision_reason"], "采纳：消防安全");
    assert_eq!(
        decide(a1_id, f.organiser.clone(), "reject", "再议")
            .await
            .status(),
        409
    );
    // The other proposal was to version 1, now superseded: it can only be rejected.
    assert_eq!(
        decide(a2, f.organiser.clone(), "accept", "采纳")
            .await
            .status(),
        409
    );
    let res = decide(a2, f.organiser.clone(), "reject", "请针对第2版重新提出").await;
    let a2v = res.json::<Value>().await.unwrap();
    assert_eq!(
        (a2v["status"].as_str(), a2v["decision_reason"].as_str()),
        (Some("rejected"), Some("请针对第2版重新提出"))
    );

    let c = get_json(&app, &format!("{BASE}/{id}")).await;
    assert_eq!(c["versions"][0]["status"], "superseded");
    assert_eq!(c["versions"][1]["status"], "draft");
    let v2 = get_json(&app, &format!("{BASE}/{id}/versions/2")).await;
    assert_eq!(v2["articles"][1]["body"], new_body);
    let v2_hash = v2["text_sha256"].as_str().unwrap().to_owned();
    assert_eq!(v2_hash, sha256(&canonical(&v2["articles"])));
    // An older version's page points to the newest.
    let html = app
        .get(&format!("/c/sanyijing/conventions/{id}/versions/1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("这不是最新版本"));
    // A superseded version is frozen and takes no comments.
    let res = send(
        &app,
        Method::PUT,
        &format!("{BASE}/{id}/versions/1"),
        &f.organiser,
        json!({"text": TEXT}),
    )
    .await;
    assert_eq!(res.status(), 409);
    let res = send(
        &app,
        Method::POST,
        &format!("{BASE}/{id}/versions/1/comments"),
        &zhang,
        json!({"article": 1, "body": "x"}),
    )
    .await;
    assert_eq!(res.status(), 409);

    // The diff shows article 2 changed, with the inserted text, the others unchanged.
    let d = get_json(&app, &format!("{BASE}/{id}/diff?from=1&to=2")).await;
    let changes: Vec<_> = d["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["unchanged", "changed", "unchanged"]);
    let inserted: String = d["articles"][1]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["tag"] == "insert")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserted, "，不得占用消防通道");
    let html = app
        .get(&format!("/c/sanyijing/conventions/{id}/diff?from=1&to=2"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<ins>，不得占用消防通道</ins>"), "{html}");
    assert!(html.contains("〔增〕"));

    // Putting version 2 to a vote: organisers only; a draft ballot under Art. 278 (ordinary).
    app.zero_notice(&f).await;
    let vote = format!("{BASE}/{id}/versions/2/ballot");
    assert_eq!(
        send(&app, Method::POST, &vote, &zhang, json!({}))
            .await
            .status(),
        403
    );
    let res = send(&app, Method::POST, &vote, &f.organiser, json!({})).await;
    assert_eq!(res.status(), 201);
    let put = res.json::<Value>().await.unwrap();
    let b = &put["ballot"];
    let bid = b["id"].as_i64().unwrap();
    assert_eq!(b["title"], "关于通过《三义井小区管理规约》（第2版）的表决");
    assert_eq!(
        (
            b["kind"].as_str(),
            b["counting_rule"].as_str(),
            b["status"].as_str()
        ),
        (Some("assembly_matter"), Some("ordinary"), Some("draft"))
    );
    assert!(b["description"].as_str().unwrap().contains(&v2_hash));
    assert_eq!(b["questions"][0]["kind"], "yes_no");
    assert_eq!(put["version"]["status"], "balloting");
    assert_eq!(put["version"]["ballot_id"], bid);
    // The linked draft keeps the shape the adoption depends on: the rule cannot be changed,
    // other fields can.
    let ballot_path = format!("/api/v1/communities/sanyijing/ballots/{bid}");
    let mut def = json!({
        "title": b["title"], "description": b["description"], "kind": "assembly_matter",
        "privacy": "open", "counting_rule": "special",
        "questions": [{"kind": "yes_no", "text": b["questions"][0]["text"]}],
        "opens_at": b["opens_at"], "closes_at": b["closes_at"],
    });
    let res = send(&app, Method::PUT, &ballot_path, &f.organiser, def.clone()).await;
    assert_eq!(fields(res).await, ["counting_rule"]);
    def["counting_rule"] = json!("ordinary");
    def["description"] = json!(format!(
        "{}\n\n业主大会筹备组",
        b["description"].as_str().unwrap()
    ));
    let res = send(&app, Method::PUT, &ballot_path, &f.organiser, def).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        send(&app, Method::POST, &vote, &f.organiser, json!({}))
            .await
            .status(),
        409
    );
    let res = send(
        &app,
        Method::PUT,
        &format!("{BASE}/{id}/versions/2"),
        &f.organiser,
        json!({"text": TEXT}),
    )
    .await;
    assert_eq!(res.status(), 409);

    // Announce, vote, count, finalise, certify.
    let res = app.transition(&f, bid, "announce", "").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let m = app.board_json("sanyijing", bid, "manifest").await;
    let doc = &m["manifest"]["document"];
    assert_eq!(doc["kind"], "convention");
    assert_eq!(
        (doc["convention"].as_i64(), doc["version"].as_i64()),
        (Some(id), Some(2))
    );
    assert_eq!(doc["title"], "三义井小区管理规约");
    assert_eq!(doc["text_sha256"], v2_hash);
    assert_eq!(doc["text_sha256"], sha256(&canonical(&v2["articles"])));
    let html = app
        .get(&format!("/c/sanyijing/ballots/{bid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/c/sanyijing/conventions/{id}/versions/2")));
    app.clock.advance(DAY + 61);
    let res = app.transition(&f, bid, "open", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    // 赵六's unit is not yet delivered: not in the electorate.
    for login in ["zhang", "wang", "sun"] {
        let t = app.token(login, "owner-password").await;
        let res = app
            .cast(
                "sanyijing",
                bid,
                &t,
                &nonce(),
                &json!([{"question": "q1", "choices": ["agree"]}]),
            )
            .await;
        assert_eq!(res.status(), 201, "{login}");
    }
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, bid, "close", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    app.clock.advance(8 * DAY);
    let res = app.transition(&f, bid, "finalise", "").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let rec = app.board_json("sanyijing", bid, "tally/final").await;
    assert_eq!(
        rec["record"]["questions"][0]["outcome"],
        json!({"kind": "decided", "adopted": true}),
        "{rec}"
    );
    let c = get_json(&app, &format!("{BASE}/{id}")).await;
    assert_eq!(c["adopted"], Value::Null, "adopted only once certified");
    let res = app.transition(&f, bid, "certify", "").await;
    assert_eq!(res.status(), 200);

    // The published convention: version 2 adopted, with its hash and the ballot.
    let c = get_json(&app, &format!("{BASE}/{id}")).await;
    assert_eq!(c["adopted"]["version"], 2);
    assert_eq!(c["adopted"]["text_sha256"], v2_hash);
    assert_eq!(c["adopted"]["ballot_id"], bid);
    assert_eq!(c["versions"][1]["status"], "adopted");
    assert!(c["adopted"]["adopted_at"].is_i64());
    let html = app
        .get(&format!("/c/sanyijing/conventions/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&v2_hash));
    assert!(html.contains(&format!("href=\"/c/sanyijing/ballots/{bid}\"")));
    assert!(html.contains("不得占用消防通道"));
}

#[tokio::test]
async fn the_api_is_described_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = get_json(&app, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/communities/{slug}/conventions",
        "/api/v1/communities/{slug}/conventions/{id}",
        "/api/v1/communities/{slug}/conventions/{id}/versions/{v}",
        "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/comments",
        "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/amendments",
        "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/ballot",
        "/api/v1/communities/{slug}/conventions/{id}/amendments/{aid}/decision",
        "/api/v1/communities/{slug}/conventions/{id}/diff",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
}

#[tokio::test]
async fn a_residents_convention_goes_to_the_residents_assembly() {
    let (app, f) = setup().await;
    let id = create(&app, &f, "residents", "三义井社区居民公约").await;
    // The draft is edited before it goes to a vote: organisers only, bad text refused.
    let path = format!("{BASE}/{id}/versions/1");
    let before = get_json(&app, &path).await["text_sha256"].clone();
    let zhang = app.token("zhang", "owner-password").await;
    let text = "第1条 总则\n邻里和睦，互帮互助。\n第2条 环境\n不高空抛物。";
    let res = send(&app, Method::PUT, &path, &zhang, json!({ "text": text })).await;
    assert_eq!(res.status(), 403);
    let res = send(
        &app,
        Method::PUT,
        &path,
        &f.organiser,
        json!({ "text": "总则" }),
    )
    .await;
    assert_eq!(fields(res).await, ["articles"]);
    let res = send(
        &app,
        Method::PUT,
        &path,
        &f.organiser,
        json!({ "text": text }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v = res.json::<Value>().await.unwrap();
    assert_eq!(v["articles"][1]["body"], "不高空抛物。");
    assert_ne!(v["text_sha256"], before);
    assert_eq!(v["text_sha256"], sha256(&canonical(&v["articles"])));
    let res = send(
        &app,
        Method::POST,
        &format!("{BASE}/{id}/versions/1/ballot"),
        &f.organiser,
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let b = res.json::<Value>().await.unwrap()["ballot"].clone();
    assert_eq!(b["kind"], "residents_convention");
    assert_eq!(b["counting_rule"], "convention_majority");
    // The window opens after the community's notice period (15 days by default).
    let now = app.clock.now();
    assert!(b["opens_at"].as_i64().unwrap() >= now + 15 * DAY);
}

#[tokio::test]
async fn a_cancelled_vote_returns_the_draft_and_a_lost_vote_rejects_it() {
    let (app, f) = setup().await;
    let id = create(&app, &f, "management", "管理规约").await;
    app.zero_notice(&f).await;
    let vote = format!("{BASE}/{id}/versions/1/ballot");
    let res = send(&app, Method::POST, &vote, &f.organiser, json!({})).await;
    assert_eq!(res.status(), 201);
    let bid = res.json::<Value>().await.unwrap()["ballot"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.transition(&f, bid, "announce", "").await.status(), 200);
    assert_eq!(
        app.transition(&f, bid, "cancel", "公告有误，重新发布")
            .await
            .status(),
        200
    );
    let c = get_json(&app, &format!("{BASE}/{id}")).await;
    assert_eq!(c["versions"][0]["status"], "draft");
    assert_eq!(c["versions"][0]["ballot_id"], Value::Null);

    // Put to a vote again; the owners disagree: the version is not adopted.
    let res = send(&app, Method::POST, &vote, &f.organiser, json!({})).await;
    assert_eq!(res.status(), 201);
    let bid = res.json::<Value>().await.unwrap()["ballot"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.transition(&f, bid, "announce", "").await.status(), 200);
    app.clock.advance(DAY + 61);
    let res = app.transition(&f, bid, "open", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    for login in ["zhang", "wang", "sun"] {
        let t = app.token(login, "owner-password").await;
        let answers = json!([{"question": "q1", "choices": ["disagree"]}]);
        let res = app.cast("sanyijing", bid, &t, &nonce(), &answers).await;
        assert_eq!(res.status(), 201, "{login}");
    }
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, bid, "close", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    app.clock.advance(8 * DAY);
    assert_eq!(app.transition(&f, bid, "finalise", "").await.status(), 200);
    assert_eq!(app.transition(&f, bid, "certify", "").await.status(), 200);
    let c = get_json(&app, &format!("{BASE}/{id}")).await;
    assert_eq!(c["versions"][0]["status"], "rejected");
    assert_eq!(c["adopted"], Value::Null);
}
