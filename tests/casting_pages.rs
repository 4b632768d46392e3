//! The pages of proxy votes and ballot papers, without JavaScript: an owner authorises a
//! proxy and is refused a proxy for themselves, the proxy votes from the page, the owner
//! cannot revoke afterwards; an organiser prints the papers, enters one (and is refused a bad
//! scan hash, keeping what was typed), a scrutineer confirms it.

mod common;
#[path = "common/pages.rs"]
mod pages;

use base64::Engine as _;
use common::ballots::definition;
use common::{fixture, spawn_app, SAMPLE_ROSTER};
use ed25519_dalek::SigningKey;
use pages::{has, Browser};
use reqwest::Method;
use serde_json::json;

const SCAN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn proxies_and_papers_work_from_the_pages() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    app.create_owner_user("wang", "owner-password", "sanyijing", "B1");
    app.create_user("daili", "proxy-password", false);
    let sid = app.create_user("jianpiao", "scrutineer-password", false);
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&f.admin),
        )
        .json(&json!({ "login": "jianpiao", "role": "scrutineer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let st = app.token("jianpiao", "scrutineer-password").await;
    let key = SigningKey::from_bytes(&[5; 32]);
    let res = app
        .api(Method::PUT, "/api/v1/communities/sanyijing/scrutineer-key", Some(&st))
        .json(&json!({ "public_key": base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes()) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut def = definition(0, 0);
    def["scrutineers"] = json!([sid]);
    let id = app.open_ballot(&f, def).await;
    let base = format!("/c/sanyijing/ballots/{id}");

    // The owner authorises daili from the page; a proxy for oneself is refused, kept, and
    // changes nothing.
    let zhang = Browser::login(&app, "zhang", "owner-password").await;
    let p = zhang.get(&app, &base).await;
    assert!(
        has(&p.html, "id=\"proxies-link\""),
        "the ballot page links the proxies page"
    );
    assert!(!has(&p.html, "id=\"papers-link\""));
    let p = zhang.get(&app, &format!("{base}/proxies")).await;
    assert_eq!(p.status, 200);
    assert!(has(&p.html, "id=\"authorise-form\""));
    let p = zhang
        .post(&app, &format!("{base}/proxies"), &[("proxy", "zhang")])
        .await;
    assert_eq!(p.status, 422, "{}", p.html);
    assert!(has(&p.html, "业主不能委托自己"), "{}", p.html);
    assert!(has(&p.html, "value=\"zhang\""), "what was typed is kept");
    assert!(has(&p.html, "您还没有委托他人"));
    let p = zhang
        .post(&app, &format!("{base}/proxies"), &[("proxy", "daili")])
        .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = zhang.get(&app, &format!("{base}/proxies")).await;
    assert!(has(&p.html, "id=\"my-authorisations\"") && has(&p.html, "daili"));

    // The proxy sees whom they represent and votes from the page; the receipt is theirs.
    let daili = Browser::login(&app, "daili", "proxy-password").await;
    let p = daili.get(&app, &format!("{base}/proxies")).await;
    let voter = p
        .html
        .split("id=\"proxy-vote-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a vote link")
        .to_owned();
    let p = daili
        .get(&app, &format!("{base}/proxies/vote/{voter}"))
        .await;
    assert_eq!(p.status, 200);
    assert!(has(&p.html, "1号楼 101"));
    let nonce = p
        .html
        .split("name=\"nonce\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // An approval over the limit is refused and shown again.
    let p = daili
        .post(
            &app,
            &format!("{base}/proxies/vote/{voter}"),
            &[
                ("nonce", &nonce),
                ("q1", "agree"),
                ("q2", "o1"),
                ("q2", "o2"),
                ("q2", "o3"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.html);
    let p = daili
        .post(
            &app,
            &format!("{base}/proxies/vote/{voter}"),
            &[("nonce", &nonce), ("q1", "agree"), ("q2", "o1")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert!(p.location.contains("/receipts/"), "{}", p.location);
    assert_eq!(daili.get(&app, &p.location).await.status, 200);
    // The proxy's own receipts on the ballot's page: marked as a proxy ballot that counts.
    let p = daili.get(&app, &base).await;
    assert!(has(&p.html, "委托投票 · <strong>计入"), "{}", p.html);
    // Another person cannot open the proxy's form.
    assert_eq!(
        zhang
            .get(&app, &format!("{base}/proxies/vote/{voter}"))
            .await
            .status,
        404
    );

    // The owner cannot revoke after the proxy voted: a readable refusal.
    let p = zhang.get(&app, &format!("{base}/proxies")).await;
    assert!(has(&p.html, "受托人已代为投票"));
    let aid = 1;
    let p = zhang
        .post(&app, &format!("{base}/proxies/{aid}/revoke"), &[])
        .await;
    assert_eq!(p.status, 409, "{}", p.html);
    assert!(has(&p.html, "不能再撤销"), "{}", p.html);

    // The organiser prints the papers and enters one; a bad scan hash keeps what was typed.
    let org = Browser::login(&app, "organiser", "organiser-password").await;
    assert!(has(&org.get(&app, &base).await.html, "id=\"papers-link\""));
    let p = org.get(&app, &format!("{base}/papers/print")).await;
    assert_eq!(p.status, 200);
    assert!(has(&p.html, "<svg"), "a QR code per paper");
    let wang_paper = p
        .html
        .split("<article class=\"ballot-paper\"")
        .find(|a| a.contains("1号楼 102"))
        .expect("wang's paper");
    let code = wang_paper
        .split("data-code=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let p = org
        .get(
            &app,
            &format!("{base}/papers?code={}", code.replace('-', "")),
        )
        .await;
    assert!(
        has(&p.html, &code.replace('-', "")),
        "the QR link fills in the code"
    );
    let p = org
        .post(
            &app,
            &format!("{base}/papers"),
            &[
                ("code", &code),
                ("scan_sha256", "nope"),
                ("q1", "disagree"),
                ("q2", "o3"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.html);
    assert!(has(&p.html, "64 位十六进制"), "{}", p.html);
    assert!(
        has(&p.html, &format!("value=\"{code}\"")),
        "the code is kept"
    );
    assert!(
        has(&p.html, "id=\"enter-q1-disagree\" checked"),
        "the answers are kept"
    );
    let p = org
        .post(
            &app,
            &format!("{base}/papers"),
            &[
                ("code", &code),
                ("scan_sha256", SCAN),
                ("q1", "disagree"),
                ("q2", "o3"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = org.get(&app, &p.location).await;
    assert!(has(&p.html, "id=\"paper-entered\""));
    assert!(has(&p.html, SCAN));
    assert!(!has(&p.html, "id=\"confirm-"), "organisers do not confirm");
    // The public log marks the proxy ballot and the paper waiting for a scrutineer.
    let log = app.get(&format!("{base}/log")).await.text().await.unwrap();
    assert!(has(&log, "委托投票") && has(&log, "书面表决票"), "{log}");
    assert!(has(&log, "待监票人确认"), "{log}");

    // An owner has no papers page; the scrutineer confirms the entry.
    assert_eq!(zhang.get(&app, &format!("{base}/papers")).await.status, 403);
    let s = Browser::login(&app, "jianpiao", "scrutineer-password").await;
    let p = s.get(&app, &format!("{base}/papers")).await;
    let leaf = p
        .html
        .split("id=\"confirm-")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("a confirm button")
        .to_owned();
    let p = s
        .post(&app, &format!("{base}/papers/{leaf}/confirm"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = s.get(&app, &p.location).await;
    assert!(has(&p.html, "id=\"paper-confirmed\"") && has(&p.html, "id=\"no-pending\""));
    // Confirming twice is refused on a readable page.
    let p = s
        .post(&app, &format!("{base}/papers/{leaf}/confirm"), &[])
        .await;
    assert_eq!(p.status, 409);
    assert!(
        has(&p.html, "这张书面表决票已经确认过了") || has(&p.html, "请确认最新的记录"),
        "{}",
        p.html
    );
    // Both ballots count: two voters on the roll.
    let roll = app.board_json("sanyijing", id, "roll").await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), 2, "{roll}");
}
