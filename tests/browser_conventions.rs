//! The conventions in a real browser, without JavaScript on the pages: an organiser drafts a
//! convention through the form, an owner comments on an article and proposes an amendment,
//! the organiser accepts it, reads the diff and puts the new version to a vote, landing on
//! the linked draft ballot. Runs when `YISHITING_BROWSER_TESTS=1`.

mod common;

#[path = "common/browser.rs"]
mod harness;

use fantoccini::{Client, Locator};
use harness::*;
use serde_json::json;

const TEXT: &str = "第一条 总则\n为维护全体业主的合法权益，制定本规约。\n第二条 物业使用\n业主不得擅自改变房屋用途。\n第三条 附则\n本规约自表决通过之日起生效。";

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

/// Put text with line breaks into a textarea (what typing would do, without key events).
async fn set_text(c: &Client, id: &str, text: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(text)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_convention_is_drafted_discussed_amended_and_put_to_a_vote() {
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
    let browser = Browser::start().await;
    let c = &browser.client;

    // The organiser drafts it through the form.
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url("/c/sanyijing/conventions")).await.unwrap();
    wait_for(c, "#new-convention").await;
    fill(c, "convention-title", "三义井小区管理规约").await;
    set_text(c, "convention-text", TEXT).await;
    click(c, "#new-convention button[type='submit']").await;
    wait_for(c, "#article-3").await;
    let v1 = c.current_url().await.unwrap().to_string();
    assert!(v1.ends_with("/versions/1"), "{v1}");
    assert!(text_of(c, "#article-2 h3").await.contains("第2条 物业使用"));
    log_out(c).await;

    // An owner comments on article 2 and proposes to change it.
    log_in(c, &app, "zhang", "owner-password").await;
    c.goto(&v1).await.unwrap();
    wait_for(c, "#comment-2-body").await;
    fill(c, "comment-2-body", "消防通道也应写进来。").await;
    click(c, "#article-2 form button[type='submit']").await;
    wait_for(c, "#article-2 .comment").await;
    assert!(text_of(c, "#article-2 .comment")
        .await
        .contains("消防通道也应写进来。"));
    click(c, "#amend-article option[value='2']").await;
    fill(c, "amend-heading", "物业使用").await;
    fill(
        c,
        "amend-body",
        "业主不得擅自改变房屋用途，不得占用消防通道。",
    )
    .await;
    fill(c, "amend-reason", "补充消防通道要求").await;
    click(c, "#propose-form button[type='submit']").await;
    wait_for(c, "#amendment-list [data-status='pending']").await;
    log_out(c).await;

    // The organiser accepts it with a reason: version 2, a draft.
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&v1).await.unwrap();
    wait_for(c, "#amendment-list textarea").await;
    c.find(Locator::Css("#amendment-list textarea"))
        .await
        .unwrap()
        .send_keys("采纳：消防安全")
        .await
        .unwrap();
    click(c, "#amendment-list button[value='accept']").await;
    wait_for(c, "#diff-previous").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/versions/2"));
    assert!(text_of(c, "#article-2").await.contains("不得占用消防通道"));

    // The diff marks the inserted text, with a text label.
    click(c, "#diff-previous").await;
    wait_for(c, "#diff ins").await;
    assert_eq!(text_of(c, "#diff ins").await, "，不得占用消防通道");
    assert!(text_of(c, "#diff").await.contains("〔增〕"));
    c.back().await.unwrap();

    // Put to a vote: the linked draft ballot.
    wait_for(c, "#put-to-vote").await;
    click(c, "#put-to-vote").await;
    wait_for(c, "#ballot-status[data-status='draft']").await;
    assert!(text_of(c, "h1")
        .await
        .contains("关于通过《三义井小区管理规约》（第2版）的表决"));
    assert!(text_of(c, "#convention-link").await.contains("第 2 版"));
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}
