//! The forum in real headless Chromium, without JavaScript on the pages: an owner raises a
//! proposal, owners co-sign it past the extraordinary-assembly level, reply in a thread,
//! report a comment until it is hidden, and an organiser restores it from the moderation
//! log's trail. Runs when `YISHITING_BROWSER_TESTS=1` (CI must run it).

mod common;
#[path = "common/browser.rs"]
mod harness;

use fantoccini::{Client, Locator};
use harness::*;
use reqwest::Method;
use serde_json::json;

async fn login(c: &Client, app: &common::TestApp, login: &str, password: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", login).await;
    fill(c, "password", password).await;
    click(c, "main form button[type='submit']").await;
    // The next page, signed in (the login page has a main element too).
    wait_for(c, "form[action='/logout']").await;
}

async fn current_path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

#[tokio::test]
async fn owners_raise_co_sign_discuss_and_report_a_proposal() {
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
    for (l, o) in [("zhang", "A1"), ("li", "A2"), ("wang", "B1"), ("sun", "D1")] {
        app.create_owner_user(l, "owner-password", "sanyijing", o);
    }
    // The level at one half, so that two owners' co-signatures cross it.
    let res = app
        .api(
            Method::PUT,
            "/api/v1/communities/sanyijing/forum-settings",
            Some(&f.organiser),
        )
        .json(&json!({"cosign_level_num": 1, "cosign_level_den": 2, "report_hide_threshold": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let browser = Browser::start().await;
    let c = &browser.client;

    // zhang raises a proposal from the list page and co-signs it.
    login(c, &app, "zhang", "owner-password").await;
    c.goto(&app.url("/c/sanyijing/proposals")).await.unwrap();
    click(c, "#new-proposal").await;
    wait_for(c, "#publish-proposal").await;
    fill(c, "title", "地下车库加装照明").await;
    fill(c, "body", "车库**晚上**很黑，老人走路不安全。").await;
    c.find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("safety")
        .await
        .unwrap();
    click(c, "#publish-proposal").await;
    wait_for(c, "#proposal-title").await;
    assert_eq!(text_of(c, "#proposal-title").await, "地下车库加装照明");
    assert!(text_of(c, ".proposal-body strong").await.contains("晚上"));
    let proposal = current_path(c).await;
    click(c, "#cosign-button").await;
    wait_for(c, "#cosigned").await;
    assert_eq!(text_of(c, "#cosign-headcount").await, "25.0%");
    assert!(c.find(Locator::Id("level-reached")).await.is_err());

    // wang's co-signature takes the area past one half: the proposal is marked.
    login(c, &app, "wang", "owner-password").await;
    c.goto(&app.url(&proposal)).await.unwrap();
    click(c, "#cosign-button").await;
    wait_for(c, "#level-reached").await;
    assert_eq!(text_of(c, "#cosign-headcount").await, "50.0%");

    // wang comments with a stance; li replies from the proposal page.
    fill(c, "comment-body", "支持，我每天晚上都要去车库。").await;
    click(c, "#stance-support").await;
    click(c, "#comment-send").await;
    wait_for(c, ".comment.depth-1").await;
    assert!(text_of(c, ".comment.depth-1 .stance")
        .await
        .contains("支持"));
    let comment_id = c
        .find(Locator::Css(".comment.depth-1"))
        .await
        .unwrap()
        .attr("data-comment")
        .await
        .unwrap()
        .unwrap();
    login(c, &app, "li", "owner-password").await;
    c.goto(&app.url(&proposal)).await.unwrap();
    click(c, &format!("#comment-{comment_id} details.reply summary")).await;
    fill(c, &format!("reply-{comment_id}"), "同意，还要装监控。").await;
    click(c, &format!("#comment-{comment_id} details.reply button")).await;
    wait_for(c, ".comment.depth-2").await;
    assert!(text_of(c, ".comment.depth-2 .comment-body")
        .await
        .contains("还要装监控"));

    // Three owners report wang's comment; the third report hides it pending review.
    let thread = format!("{proposal}/comments/{comment_id}");
    for (n, who) in ["zhang", "li", "sun"].into_iter().enumerate() {
        login(c, &app, who, "owner-password").await;
        c.goto(&app.url(&thread)).await.unwrap();
        click(c, &format!("#report-{comment_id} summary")).await;
        click(
            c,
            &format!("#report-form-{comment_id} input[value='off_topic']"),
        )
        .await;
        click(c, &format!("#report-form-{comment_id} button")).await;
        // Wait until the server has counted the report before the next login, which could
        // otherwise overtake the form's submission.
        let start = std::time::Instant::now();
        loop {
            let mut conn = app.db.connect();
            let cid: i64 = comment_id.parse().unwrap();
            let row = yishiting::db::comments::by_id(&mut conn, cid)
                .unwrap()
                .unwrap();
            if row.report_count as usize == n + 1 {
                break;
            }
            assert!(
                start.elapsed().as_secs() < 20,
                "report {} was not counted",
                n + 1
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    c.goto(&app.url(&thread)).await.unwrap();
    wait_for(c, &format!("#comment-{comment_id}.vis-hidden")).await;
    assert!(text_of(c, &format!("#comment-{comment_id} .comment-gone"))
        .await
        .contains("隐藏"));

    // The organiser sees it in the moderation log and restores it with a public reason.
    login(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url("/c/sanyijing/moderation")).await.unwrap();
    wait_for(c, "#moderation-log tr[data-action='auto_hide']").await;
    c.goto(&app.url(&thread)).await.unwrap();
    fill(
        c,
        &format!("moderate-reason-{comment_id}"),
        "内容与议题有关，恢复显示",
    )
    .await;
    click(c, &format!("#moderate-{comment_id} button")).await;
    wait_for(c, &format!("#comment-{comment_id}.vis-visible")).await;
    c.goto(&app.url("/c/sanyijing/moderation")).await.unwrap();
    wait_for(c, "#moderation-log tr[data-action='restore']").await;
    assert!(text_of(c, "#moderation-log tr[data-action='restore']")
        .await
        .contains("恢复显示"));

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}
