//! A resident's account in a real browser (headless Chromium through chromedriver): the
//! organiser issues codes from the residents' register, a resident activates an account with
//! one and raises a proposal in the forum. Runs when `YISHITING_BROWSER_TESTS=1`.

mod common;

#[path = "common/browser.rs"]
mod harness;

use fantoccini::{Client, Locator};
use harness::*;

async fn login(c: &Client, app: &common::TestApp, login: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "login", login).await;
    fill(c, "password", password).await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "form[action='/logout']").await;
}

#[tokio::test]
async fn a_resident_activates_an_account_and_raises_a_proposal() {
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
    let year = yishiting::routes::residents::current_year();
    let csv = format!(
        "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\nH1,刘家,1号楼,101,R1,刘阿姨,{},是\n",
        year - 70
    );
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/communities/sanyijing/residents/import?confirm=true",
            Some(&f.organiser),
        )
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let browser = Browser::start().await;
    let c = &browser.client;

    // The organiser issues the residents' codes from the register and reads the slip.
    login(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url("/c/sanyijing/residents")).await.unwrap();
    wait_for(c, "#issue-resident-codes").await;
    click(c, "#issue-resident-codes").await;
    wait_for(c, "#slips .invitation-code").await;
    assert!(text_of(c, "#slips").await.contains("刘阿姨"));
    let code = text_of(c, "#slips .invitation-code").await;
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "nav a[href='/login']").await;

    // The resident activates the account with the code.
    c.goto(&app.url("/redeem")).await.unwrap();
    wait_for(c, "#code").await;
    fill(c, "code", &code).await;
    fill(c, "login", "liu-ayi").await;
    fill(c, "display_name", "刘阿姨").await;
    fill(c, "password", "resident-password").await;
    fill(c, "password_confirm", "resident-password").await;
    click(c, "main form button[type='submit']").await;
    wait_for(c, "#me-resident").await;

    // ... and raises a proposal.
    click(c, "#my-forum").await;
    wait_for(c, "#new-proposal").await;
    click(c, "#new-proposal").await;
    wait_for(c, "#publish-proposal").await;
    fill(c, "title", "楼道里堆放杂物").await;
    fill(c, "body", "三楼楼道堆满了纸箱，有**消防隐患**。").await;
    c.find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("safety")
        .await
        .unwrap();
    click(c, "#publish-proposal").await;
    wait_for(c, "#proposal-title").await;
    assert_eq!(text_of(c, "#proposal-title").await, "楼道里堆放杂物");
    // Co-signing is for owners: a resident sees no co-sign button.
    assert!(c.find(Locator::Id("cosign-button")).await.is_err());
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}
