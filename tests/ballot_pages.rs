//! The ballot pages without JavaScript: the organiser's editor and actions, the owner's
//! vote → confirm → receipt flow, and the public board.

mod common;

use common::ballots::*;
use common::{csrf_of, fixture, spawn_app, SAMPLE_ROSTER};
use serde_json::Value;

async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

#[tokio::test]
async fn organiser_drafts_and_announces_then_an_owner_votes_through_the_pages() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    app.create_owner_user("li", "owner-password", "sanyijing", "A2");
    let org = app.browser_login("organiser", "organiser-password").await;

    // The notice period form: a change without a reason is refused.
    let html = text(
        org.get(app.url("/c/sanyijing/ballots"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("公告期"));
    let csrf = csrf_of(&html);
    let res = org
        .post(app.url("/c/sanyijing/notice"))
        .form(&[("csrf", csrf.as_str()), ("days", "0"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = org
        .post(app.url("/c/sanyijing/notice"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("days", "0"),
            ("reason", "业主大会决定"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // The editor: a missing title comes back with the problem and the typed values.
    let html = text(
        org.get(app.url("/c/sanyijing/ballots/new"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let csrf = csrf_of(&html);
    let opens = yishiting::clock::input_shanghai(app.clock.now() + 120);
    let closes = yishiting::clock::input_shanghai(app.clock.now() + 8 * DAY);
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("title", String::new()),
        ("description", "说明 <script>alert(1)</script>".into()),
        ("kind", "assembly_matter".into()),
        ("privacy", "open".into()),
        ("counting_rule", "ordinary".into()),
        ("opens_at", opens.clone()),
        ("closes_at", closes.clone()),
        ("q1_kind", "yes_no".into()),
        ("q1_text", "是否同意更换物业？".into()),
        ("q2_kind", "approval".into()),
        ("q2_text", "选举监督员".into()),
        ("q2_options", "甲\n乙\n丙".into()),
        ("q2_max", "2".into()),
    ];
    let res = org
        .post(app.url("/c/sanyijing/ballots"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = text(res).await;
    assert!(html.contains("editor-errors") && html.contains("是否同意更换物业？"));
    form[1].1 = "更换物业服务企业".into();
    let res = org
        .post(app.url("/c/sanyijing/ballots"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let board = res.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = board.rsplit('/').next().unwrap().parse().unwrap();

    // Drafts are hidden from the public; the organiser announces from the board page.
    assert_eq!(app.get(&board).await.status(), 404);
    let html = text(org.get(app.url(&board)).send().await.unwrap()).await;
    assert!(
        !html.contains("<script>alert"),
        "the description is sanitised"
    );
    let res = org
        .post(app.url(&format!("{board}/transition")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "announce")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = text(app.get(&board).await).await;
    assert!(
        html.contains("data-status=\"announced\""),
        "public after the announcement"
    );
    assert!(html.contains("verifier-key"));

    // The owner votes: form → confirmation → receipt.
    app.clock.advance(200);
    let owner = app.browser_login("zhang", "owner-password").await;
    let html = text(owner.get(app.url(&board)).send().await.unwrap()).await;
    assert!(
        html.contains("id=\"vote-link\""),
        "open and the owner is a voter"
    );
    let html = text(
        owner
            .get(app.url(&format!("{board}/vote")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("name=\"q1\"") && html.contains("name=\"q2\""));
    let csrf = csrf_of(&html);
    let nonce = html
        .split("name=\"nonce\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // Too many candidates: the form comes back with the problem.
    let res = owner
        .post(app.url(&format!("{board}/vote")))
        .form(&[
            ("csrf", &csrf),
            ("nonce", &nonce),
            ("q1", &"agree".into()),
            ("q2", &"o1".into()),
            ("q2", &"o2".into()),
            ("q2", &"o3".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("vote-errors"));
    let choice = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("q1", "agree"),
        ("q2", "o1"),
        ("q2", "o3"),
    ];
    let res = owner
        .post(app.url(&format!("{board}/vote")))
        .form(&choice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    assert!(html.contains("confirm-list") && html.contains("甲") && html.contains("丙"));
    assert_eq!(
        app.board_json("sanyijing", id, "log/sth").await["tree_size"],
        0,
        "nothing is cast before the confirmation"
    );
    let res = owner
        .post(app.url(&format!("{board}/cast")))
        .form(&choice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let receipt_url = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(receipt_url, format!("{board}/receipts/0"));
    let html = text(owner.get(app.url(&receipt_url)).send().await.unwrap()).await;
    assert!(html.contains("id=\"tracker\""));
    let receipt: Value = owner
        .get(app.url(&format!("{receipt_url}/json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verify_receipt(&receipt);
    assert!(html.contains(receipt["tracker"].as_str().unwrap()));
    // Sending the confirmed form again is a replay: a readable page, nothing written.
    let res = owner
        .post(app.url(&format!("{board}/cast")))
        .form(&choice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(text(res).await.contains("已经记录"));
    assert_eq!(
        app.board_json("sanyijing", id, "log/sth").await["tree_size"],
        1
    );
    // Another owner cannot open this receipt page; a missing CSRF token is refused.
    let li = app.browser_login("li", "owner-password").await;
    assert_eq!(
        li.get(app.url(&receipt_url)).send().await.unwrap().status(),
        404
    );
    let res = li
        .post(app.url(&format!("{board}/cast")))
        .form(&[("nonce", nonce.as_str()), ("q1", "agree")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The public board: turnout, roll, log, electorate, the verify page.
    let html = text(app.get(&board).await).await;
    assert!(html.contains("turnout-area") && html.contains("1号楼 101"));
    let html = text(app.get(&format!("{board}/log")).await).await;
    assert!(html.contains(receipt["tracker"].as_str().unwrap()));
    let html = text(app.get(&format!("{board}/electorate")).await).await;
    assert!(html.contains("张*") && !html.contains("张三"));
    let html = text(app.get(&format!("{board}/verify")).await).await;
    assert!(html.contains("/static/verify.js") && html.contains("data-verifier-key"));
    assert_eq!(app.get("/static/verify.js").await.status(), 200);
}
