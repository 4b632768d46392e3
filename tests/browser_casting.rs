//! Proxy votes and ballot papers in a real browser (headless Chromium through chromedriver),
//! each role in turn with the pages' forms: an owner authorises a proxy from the ballot's
//! page, the proxy votes for the owner and gets the receipt, the organiser prints the papers,
//! reads one owner's code and enters the returned paper, a scrutineer confirms the entry; both
//! ballots count on the public roll. The browser counterpart of `tests/casting_pages.rs`.
//! Runs when `YISHITING_BROWSER_TESTS=1`.

mod common;

#[path = "common/browser.rs"]
mod harness;

use base64::Engine as _;
use common::ballots::definition;
use ed25519_dalek::SigningKey;
use fantoccini::{Client, Locator};
use harness::*;
use reqwest::Method;
use serde_json::json;

const SCAN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

async fn log_in(c: &Client, app: &common::TestApp, login: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", login).await;
    fill(c, "password", password).await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "form[action='/logout'] button").await;
}

async fn log_out(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "nav a[href='/login']").await;
}

async fn no_console_errors(b: &Browser) {
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

async fn attr_of(c: &Client, css: &str, name: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{css} has no {name}"))
}

async fn path_of(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

#[tokio::test]
async fn proxies_and_papers_work_in_the_browser() {
    if !browser_suite_enabled() {
        return;
    }
    let app = common::spawn_app().await;
    let f = common::fixture(&app).await;
    assert_eq!(
        f.import(&app, common::SAMPLE_ROSTER, true, "zh-CN")
            .await
            .status(),
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
        .api(
            Method::PUT,
            "/api/v1/communities/sanyijing/scrutineer-key",
            Some(&st),
        )
        .json(&json!({
            "public_key": base64::engine::general_purpose::STANDARD
                .encode(key.verifying_key().as_bytes())
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut def = definition(0, 0);
    def["scrutineers"] = json!([sid]);
    let id = app.open_ballot(&f, def).await;
    let base = format!("/c/sanyijing/ballots/{id}");

    let browser = Browser::start().await;
    let c = &browser.client;

    // 1. The owner follows the ballot page's link to the proxies page and authorises daili.
    log_in(c, &app, "zhang", "owner-password").await;
    c.goto(&app.url(&base)).await.unwrap();
    wait_for(c, "#proxies-link").await;
    assert!(
        c.find(Locator::Id("papers-link")).await.is_err(),
        "an owner has no papers page"
    );
    click(c, "#proxies-link").await;
    wait_for(c, "#authorise-form").await;
    assert_eq!(path_of(c).await, format!("{base}/proxies"));
    assert!(c.find(Locator::Id("my-authorisations")).await.is_err());
    assert!(text_of(c, "#authorisations")
        .await
        .contains("您还没有委托他人"));
    fill(c, "proxy", "daili").await;
    click(c, "#authorise").await;
    wait_for(c, "#my-authorisations").await;
    let mine = text_of(c, "#my-authorisations").await;
    assert!(mine.contains("daili"), "{mine}");
    assert!(c.find(Locator::Id("proxy-errors")).await.is_err());
    no_console_errors(&browser).await;
    log_out(c).await;

    // 2. The proxy sees whom they represent, votes for the owner and gets the receipt.
    log_in(c, &app, "daili", "proxy-password").await;
    c.goto(&app.url(&base)).await.unwrap();
    wait_for(c, "#proxies-link").await;
    click(c, "#proxies-link").await;
    wait_for(c, "#held a[id^='proxy-vote-']").await;
    assert!(text_of(c, "#held").await.contains("1号楼 101"));
    let link = attr_of(c, "#held a[id^='proxy-vote-']", "id").await;
    let voter = link.trim_start_matches("proxy-vote-").to_owned();
    assert!(voter.parse::<i64>().is_ok(), "{link}");
    click(c, &format!("#{link}")).await;
    wait_for(c, "#proxy-cast").await;
    assert_eq!(path_of(c).await, format!("{base}/proxies/vote/{voter}"));
    assert!(c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("1号楼 101"));
    click(c, "#q1-agree").await;
    click(c, "#q2-o1").await;
    click(c, "#proxy-cast").await;
    wait_for(c, "#tracker").await;
    let receipt = path_of(c).await;
    assert!(
        receipt.starts_with(&format!("{base}/receipts/")),
        "{receipt}"
    );
    assert!(text_of(c, "#receipt-ok").await.contains("已记录"));
    assert!(!text_of(c, "#tracker").await.trim().is_empty());
    // The proxies page now shows the vote as cast for the owner.
    c.goto(&app.url(&format!("{base}/proxies"))).await.unwrap();
    wait_for(c, "#held").await;
    assert!(text_of(c, "#held").await.contains("受托人已代为投票"));
    no_console_errors(&browser).await;
    log_out(c).await;

    // 3. The organiser prints the papers, reads wang's code and enters the returned paper.
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url(&base)).await.unwrap();
    wait_for(c, "#papers-link").await;
    click(c, "#papers-link").await;
    wait_for(c, "#enter-form").await;
    assert_eq!(path_of(c).await, format!("{base}/papers"));
    click(c, "#print-papers").await;
    wait_for(c, "article.ballot-paper .qr svg").await;
    let mut code = None;
    for paper in c
        .find_all(Locator::Css("article.ballot-paper"))
        .await
        .unwrap()
    {
        if paper.text().await.unwrap().contains("1号楼 102") {
            code = paper.attr("data-code").await.unwrap();
        }
    }
    let code = code.expect("wang's paper with its code");
    assert!(!code.is_empty());
    c.back().await.unwrap();
    wait_for(c, "#enter-form").await;
    fill(c, "code", &code).await;
    fill(c, "enter-scan", SCAN).await;
    click(c, "#enter-q1-disagree").await;
    click(c, "#enter-q2-o3").await;
    click(c, "#enter-paper").await;
    wait_for(c, "#paper-entered").await;
    let entered = text_of(c, "#paper-entered").await;
    assert!(entered.contains("等待监票人确认"), "{entered}");
    assert!(c.find(Locator::Id("paper-errors")).await.is_err());
    let pending = text_of(c, "#pending").await;
    assert!(pending.contains(SCAN), "{pending}");
    assert!(pending.contains("1号楼 102"), "{pending}");
    assert!(
        c.find(Locator::Css("button[id^='confirm-']"))
            .await
            .is_err(),
        "organisers do not confirm"
    );
    no_console_errors(&browser).await;
    log_out(c).await;

    // 4. The scrutineer confirms the entry.
    log_in(c, &app, "jianpiao", "scrutineer-password").await;
    c.goto(&app.url(&base)).await.unwrap();
    wait_for(c, "#papers-link").await;
    click(c, "#papers-link").await;
    wait_for(c, "button[id^='confirm-']").await;
    assert!(
        c.find(Locator::Id("enter-form")).await.is_err(),
        "scrutineers do not enter papers"
    );
    assert!(c.find(Locator::Id("no-pending")).await.is_err());
    click(c, "button[id^='confirm-']").await;
    wait_for(c, "#paper-confirmed").await;
    assert!(text_of(c, "#paper-confirmed").await.contains("已确认"));
    wait_for(c, "#no-pending").await;
    assert!(text_of(c, "#no-pending")
        .await
        .contains("没有等待确认的表决票"));
    assert!(c
        .find(Locator::Css("button[id^='confirm-']"))
        .await
        .is_err());
    no_console_errors(&browser).await;
    log_out(c).await;
    browser.close().await;

    // Both ballots count: two voters on the roll.
    let roll = app.board_json("sanyijing", id, "roll").await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), 2, "{roll}");
}
