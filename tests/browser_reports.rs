//! Building reports (楼栋上报) in a real browser (headless Chromium through chromedriver): an
//! owner files a report with the form, the building lead acknowledges, assigns and closes it
//! with a note, and the owner sees it closed. Runs when `YISHITING_BROWSER_TESTS=1`.

mod common;

#[path = "common/browser.rs"]
mod harness;

use fantoccini::{Client, Locator};
use harness::*;
use serde_json::json;

async fn login(c: &Client, app: &common::TestApp, login: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", login).await;
    fill(c, "password", password).await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "form[action='/logout']").await;
}

async fn logout(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "nav a[href='/login']").await;
}

/// Wait until the report page shows `status`.
async fn wait_status(c: &Client, status: &str) {
    wait_for(c, &format!("#report-status[data-status='{status}']")).await;
}

#[tokio::test]
async fn an_owner_reports_and_the_building_lead_handles_it_to_the_end() {
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
    app.create_user("lead", "lead-password", false);
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(&f.admin),
        )
        .json(&json!({ "login": "lead", "role": "building_lead", "building": "1号楼" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let browser = Browser::start().await;
    let c = &browser.client;

    // The owner files a report with the form.
    login(c, &app, "zhang", "owner-password").await;
    c.goto(&app.url("/c/sanyijing/building-reports"))
        .await
        .unwrap();
    wait_for(c, "#new-report").await;
    click(c, "#new-report").await;
    wait_for(c, "#report-form").await;
    c.find(Locator::Id("building_id"))
        .await
        .unwrap()
        .select_by_label("1号楼")
        .await
        .unwrap();
    c.find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("noise")
        .await
        .unwrap();
    fill(c, "title", "楼上的狗半夜一直叫").await;
    fill(c, "location", "3单元门口").await;
    fill(c, "description", "连续三个晚上，影响休息").await;
    click(c, "#submit-report").await;
    wait_status(c, "reported").await;
    let report_url = c.current_url().await.unwrap().to_string();
    assert!(text_of(c, "h1").await.contains("楼上的狗半夜一直叫"));
    assert!(text_of(c, "#report-status").await.contains("已上报"));
    assert!(c.find(Locator::Id("close-form")).await.is_err());
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    logout(c).await;

    // The building lead acknowledges, assigns and closes it with a note.
    login(c, &app, "lead", "lead-password").await;
    c.goto(&app.url("/c/sanyijing/building-reports"))
        .await
        .unwrap();
    wait_for(c, "#to-handle").await;
    assert!(text_of(c, "#to-handle")
        .await
        .contains("楼上的狗半夜一直叫"));
    click(c, "#to-handle a").await;
    wait_for(c, "#acknowledge-form").await;
    fill(c, "acknowledge-note", "收到，今晚去看看").await;
    click(c, "#acknowledge").await;
    wait_status(c, "acknowledged").await;
    assert!(c.find(Locator::Id("acknowledge-form")).await.is_err());
    fill(c, "assignee", "物业张经理").await;
    click(c, "#assign").await;
    wait_status(c, "assigned").await;
    assert!(text_of(c, "#report-assignee").await.contains("物业张经理"));
    fill(c, "close-note", "已与狗主人沟通，晚上关好门窗").await;
    click(c, "#close").await;
    wait_status(c, "closed").await;
    assert!(c.find(Locator::Id("close-form")).await.is_err());
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    logout(c).await;

    // The owner sees it closed, with the note and the whole history.
    login(c, &app, "zhang", "owner-password").await;
    c.goto(&report_url).await.unwrap();
    wait_status(c, "closed").await;
    assert!(text_of(c, "#report-status").await.contains("已关闭"));
    let history = text_of(c, "#report-history").await;
    assert!(
        history.contains("已与狗主人沟通")
            && history.contains("受理")
            && history.contains("派人处理"),
        "{history}"
    );
    c.goto(&app.url("/c/sanyijing/building-reports"))
        .await
        .unwrap();
    wait_for(c, "#my-reports").await;
    assert!(text_of(c, "#my-reports").await.contains("已关闭"));

    browser.close().await;
}
