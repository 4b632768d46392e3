//! The browser suite: real headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`). Runs when `YISHITING_BROWSER_TESTS=1`; in CI (`CI` set) it must run,
//! and a missing browser fails the run instead of skipping.

mod common;

#[path = "common/browser.rs"]
mod harness;

use fantoccini::Locator;
use harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn home_page_in_both_languages_without_console_errors() {
    if !browser_suite_enabled() {
        return;
    }
    let app = common::spawn_app().await;
    let browser = Browser::start().await;
    let c = &browser.client;

    c.goto(&app.url("/")).await.unwrap();
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("zh-CN"));
    assert!(text_of(c, "h1").await.contains("议事亭"));
    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors on the Chinese home page: {errors:?}"
    );

    // The stylesheet really applied: large type for older eyes (20px base).
    let size: Value = c
        .execute("return getComputedStyle(document.body).fontSize;", vec![])
        .await
        .unwrap();
    assert_eq!(size, json!("20px"));

    // Switch language with the link, as a person would (no JavaScript needed).
    click(c, "a.lang-switch").await;
    wait_for(c, "html[lang='en']").await;
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("en"));
    assert!(text_of(c, "h1")
        .await
        .contains("the community decides together"));
    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors on the English home page: {errors:?}"
    );

    // The choice sticks when following a link.
    click(c, "nav a[href='/rules']").await;
    wait_for(c, "#civil-code-278").await;
    assert!(text_of(c, "h1").await.contains("Voting rules"));
    assert!(text_of(c, "#civil-code-278").await.contains("三分之二以上"));

    // An error page is a readable page too.
    c.goto(&app.url("/nowhere")).await.unwrap();
    assert!(text_of(c, "h1").await.contains("Page not found"));

    browser.close().await;
}

#[tokio::test]
async fn an_owner_redeems_a_code_sets_a_password_logs_in_and_sees_their_units() {
    if !browser_suite_enabled() {
        return;
    }
    let app = common::spawn_app().await;
    let f = common::fixture(&app).await;
    assert_eq!(
        f.import(&app, common::SAMPLE_ROSTER, true, "en")
            .await
            .status(),
        200
    );
    let slips: Vec<Value> = app
        .api(
            reqwest::Method::POST,
            "/api/v1/communities/sanyijing/codes",
            Some(&f.organiser),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = slips.iter().find(|s| s["owner_ref"] == "B1").unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let browser = Browser::start().await;
    let c = &browser.client;
    c.goto(&app.url("/")).await.unwrap();
    c.find(Locator::Css("nav a[href='/redeem']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(c, "code", &code).await;
    fill(c, "login", "wangwu").await;
    fill(c, "display_name", "王五").await;
    fill(c, "password", "wangwu-password").await;
    fill(c, "password_confirm", "wangwu-password").await;
    click(c, "main form button[type='submit']").await;

    // Straight to the owner's own page.
    wait_for(c, "#my-units").await;
    assert!(text_of(c, "h1").await.contains("王五"));
    let units = text_of(c, "#my-units").await;
    assert!(
        units.contains("1号楼 102") && units.contains("1号楼 201"),
        "{units}"
    );
    assert!(units.contains("120.00 m²"), "{units}");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // Log out, then log in with the new password.
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "nav a[href='/login']").await;
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", "wangwu").await;
    fill(c, "password", "wangwu-password").await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "#my-units").await;
    let units = text_of(c, "#my-units").await;
    assert!(units.contains("1号楼 201"), "{units}");

    // The same code cannot be used again.
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "nav a[href='/login']").await;
    c.goto(&app.url("/redeem")).await.unwrap();
    fill(c, "code", &code).await;
    fill(c, "login", "intruder").await;
    fill(c, "display_name", "某人").await;
    fill(c, "password", "intruder-password").await;
    fill(c, "password_confirm", "intruder-password").await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "#redeem-errors").await;
    assert!(text_of(c, "#redeem-errors").await.contains("邀请码不对"));

    browser.close().await;
}

#[tokio::test]
async fn an_owner_casts_a_ballot_and_the_browser_verifies_the_receipt() {
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
    let id = app.open_ballot(&f, common::ballots::definition(0, 0)).await;

    let browser = Browser::start().await;
    let c = &browser.client;
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", "zhang").await;
    fill(c, "password", "owner-password").await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "#my-ballots").await;
    click(c, "#my-ballots").await;
    wait_for(c, "#ballot-list").await;
    click(c, "#ballot-list a.button").await;
    wait_for(c, "#vote-next").await;
    click(c, "#q1-agree").await;
    click(c, "#q2-o1").await;
    click(c, "#q2-o3").await;
    click(c, "#vote-next").await;
    // The confirmation step shows the choices before anything is cast.
    wait_for(c, "#confirm-list").await;
    let list = text_of(c, "#confirm-list").await;
    assert!(
        list.contains("同意") && list.contains("张三") && list.contains("王五"),
        "{list}"
    );
    click(c, "#vote-confirm").await;
    wait_for(c, "#tracker").await;
    let tracker = text_of(c, "#tracker").await;
    let leaf_hash = text_of(c, "#leaf-hash").await;
    assert!(leaf_hash
        .replace('-', "")
        .starts_with(&tracker.replace('-', "")));
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The check page: the browser verifies the tracker's receipt with WebCrypto.
    click(c, "#receipt-verify-link").await;
    wait_for(c, "#receipt-input").await;
    fill(c, "receipt-input", &leaf_hash).await;
    // The previous check re-enables the button when it ends; a click before that is lost.
    wait_for(c, "#receipt-verify:not([disabled])").await;
    click(c, "#receipt-verify").await;
    wait_for(c, "#receipt-verdict[data-ok='true']").await;
    for step in ["leaf_hash", "origin", "key", "signature", "inclusion"] {
        let css = format!("#receipt-result li[data-step='{step}'][data-ok='true']");
        wait_for(c, &css).await;
    }

    // The downloaded receipt verifies too, and a changed answer does not.
    let owner = app.browser_login("zhang", "owner-password").await;
    let receipt: Value = owner
        .get(app.url(&format!("/c/sanyijing/ballots/{id}/receipts/0/json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let set_input = |text: String| async move {
        c.execute(
            "document.getElementById('receipt-input').value = arguments[0];",
            vec![json!(text)],
        )
        .await
        .unwrap();
    };
    set_input(receipt.to_string()).await;
    // The previous check re-enables the button when it ends; a click before that is lost.
    wait_for(c, "#receipt-verify:not([disabled])").await;
    click(c, "#receipt-verify").await;
    wait_for(c, "#receipt-verdict[data-ok='true']").await;
    let mut forged = receipt.clone();
    forged["leaf"]["answers"][0]["choices"] = json!(["disagree"]);
    set_input(forged.to_string()).await;
    // The previous check re-enables the button when it ends; a click before that is lost.
    wait_for(c, "#receipt-verify:not([disabled])").await;
    click(c, "#receipt-verify").await;
    wait_for(c, "#receipt-verdict[data-ok='false']").await;
    wait_for(
        c,
        "#receipt-result li[data-step='leaf_hash'][data-ok='false']",
    )
    .await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn a_scrutineer_makes_a_key_in_the_browser_and_co_signs_the_result() {
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
    let uid = app.create_user("jianpiao", "scrutineer-password", false);
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&f.admin),
        )
        .json(&json!({ "login": "jianpiao", "role": "scrutineer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The scrutineer makes a key pair in the browser and registers the public key.
    let browser = Browser::start().await;
    let c = &browser.client;
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", "jianpiao").await;
    fill(c, "password", "scrutineer-password").await;
    click(c, "main form button[type='submit']").await;
    // The next page, signed in (the login page has a main element too).
    wait_for(c, "form[action='/logout']").await;
    c.goto(&app.url("/c/sanyijing/scrutineer")).await.unwrap();
    wait_for(c, "#no-key").await;
    click(c, "#generate-key").await;
    wait_for(c, "#keygen-status[data-ok='true']").await;
    let public_key: Value = c
        .execute(
            "return document.getElementById('public_key').value;",
            vec![],
        )
        .await
        .unwrap();
    let public_key = public_key.as_str().unwrap().to_owned();
    assert_eq!(public_key.len(), 44, "{public_key}");
    click(c, "#register-key").await;
    wait_for(c, "#current-key").await;
    assert_eq!(text_of(c, "#current-key").await, public_key);

    // A ballot naming them, counted and finalised.
    let mut def = common::ballots::definition(0, 0);
    def["scrutineers"] = json!([uid]);
    def["cosignatures_required"] = json!(1);
    let id = app.open_ballot(&f, def).await;
    let zhang = app.token("zhang", "owner-password").await;
    let res = app
        .cast(
            "sanyijing",
            id,
            &zhang,
            &common::ballots::nonce(),
            &common::ballots::answers("agree", &["o1"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.clock.advance(7 * common::ballots::DAY);
    assert_eq!(
        app.board_json("sanyijing", id, "").await["status"],
        "tallied"
    );
    app.clock.advance(7 * common::ballots::DAY);
    assert_eq!(app.transition(&f, id, "finalise", "").await.status(), 200);
    assert_eq!(app.transition(&f, id, "certify", "").await.status(), 409);

    // The browser checks the final record against the ballot key and signs its hash with
    // the key it kept; the server accepts the signature and shows who co-signed.
    c.goto(&app.url(&format!("/c/sanyijing/ballots/{id}/cosign")))
        .await
        .unwrap();
    wait_for(c, "#sign-in-browser").await;
    click(c, "#sign-in-browser").await;
    wait_for(c, "#cosign-status[data-ok='true']").await;
    for step in ["hash", "signature", "key"] {
        wait_for(
            c,
            &format!("#cosign-steps li[data-step='{step}'][data-ok='true']"),
        )
        .await;
    }
    click(c, "#cosign-submit").await;
    wait_for(c, "#cosigners li.cosigner[data-signed='true']").await;
    // The result page draws its charts without any script.
    let charts = c.find_all(Locator::Css("svg.chart")).await.unwrap();
    assert!(charts.len() >= 2);
    // To look at the pages: YISHITING_SCREENSHOTS=dir saves them as PNG.
    if let Ok(dir) = std::env::var("YISHITING_SCREENSHOTS") {
        c.execute(
            "document.querySelector('svg.chart').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
        std::fs::write(format!("{dir}/result.png"), c.screenshot().await.unwrap()).unwrap();
        c.goto(&app.url(&format!("/c/sanyijing/ballots/{id}/result/notice")))
            .await
            .unwrap();
        wait_for(c, "#notice-qr svg").await;
        std::fs::write(format!("{dir}/notice.png"), c.screenshot().await.unwrap()).unwrap();
    }
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;

    let res = app.transition(&f, id, "certify", "").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "certified");
}
