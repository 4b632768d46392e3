//! An owners' committee re-election (业委会换届选举) in a real browser (headless Chromium
//! through chromedriver), every role through every step with the pages' forms: the organiser
//! forms the preparation group and posts the announcement, owners nominate themselves, the
//! organiser enters a paper nomination, an owner recommends another for co-signing online,
//! the organiser reviews, publishes the list, an owner objects and the organiser answers,
//! owners vote on the ballot's pages, the organiser records the count, finalises and
//! certifies the ballot on its board, announces the result, records the first meeting and
//! the filing, and opens each print. Runs when `YISHITING_BROWSER_TESTS=1`.

mod common;

#[path = "common/browser.rs"]
mod harness;

use fantoccini::wd::PrintConfigurationBuilder;
use fantoccini::{Client, Locator};
use harness::*;
use reqwest::Method;
use serde_json::{json, Value};

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

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

/// Set a field's value as a person would by typing or picking (datetime-local, numbers and
/// text with line breaks), without key events.
async fn set(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .unwrap();
}

async fn value_of(c: &Client, id: &str) -> String {
    c.execute(
        "return document.getElementById(arguments[0]).value;",
        vec![json!(id)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

async fn wait_step(c: &Client, step: &str) {
    wait_for(c, &format!("#election-step[data-step='{step}']")).await;
}

async fn no_console_errors(b: &Browser) {
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// Chromium logs a page answered with 422 as a failed load: the refused form, on purpose.
async fn only_the_refusal_logged(b: &Browser) {
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("status of 422")),
        "console errors: {errors:?}"
    );
}

/// An owner votes for `picks` on the ballot's own pages, from the election's page.
async fn vote(c: &Client, app: &common::TestApp, election: &str, login: &str, picks: &[&str]) {
    log_in(c, app, login, "owner-password").await;
    c.goto(&app.url(election)).await.unwrap();
    wait_for(c, "#vote-link").await;
    click(c, "#vote-link").await;
    wait_for(c, "#vote-next").await;
    for p in picks {
        click(c, &format!("#q1-{p}")).await;
    }
    click(c, "#vote-next").await;
    wait_for(c, "#confirm-list").await;
    click(c, "#vote-confirm").await;
    wait_for(c, "#tracker").await;
    log_out(c).await;
}

/// With `YISHITING_SCREENSHOTS=dir`, save the whole page as `dir/election-{name}.png`.
async fn shot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("YISHITING_SCREENSHOTS") {
        c.set_window_size(412, 2600).await.unwrap();
        std::fs::write(
            format!("{dir}/election-{name}.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        c.set_window_size(412, 915).await.unwrap();
    }
}

/// Pages of a PDF as Chromium writes it (each page object uncompressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page\r").count()
        + text.matches("/Type /Page>>").count()
        + text.matches("/Type /Page ").count()
}

/// Open a print, check what ties it to the signed log, and print it to PDF: at least
/// `pages` pages (each document of the filing package starts a page).
async fn check_print(
    c: &Client,
    app: &common::TestApp,
    election: &str,
    (doc, id, pages): (&str, &str, usize),
) {
    c.goto(&app.url(&format!("{election}/print/{doc}")))
        .await
        .unwrap();
    wait_for(c, &format!("#{id}")).await;
    wait_for(c, ".print-footer .qr svg").await;
    let hash = text_of(c, ".leaf-hash").await;
    assert_eq!(hash.len(), 64, "{doc}: {hash}");
    assert_eq!(text_of(c, ".checkpoint-root").await.len(), 64, "{doc}");
    let pdf = c
        .print(PrintConfigurationBuilder::default().build().unwrap())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "{doc}");
    let n = pdf_pages(&pdf);
    assert!(n >= pages, "{doc}: {n} pages");
    if let Ok(dir) = std::env::var("YISHITING_SCREENSHOTS") {
        std::fs::write(format!("{dir}/election-{doc}.pdf"), &pdf).unwrap();
        // The page as printed: the print rules applied to the screen, a tall window.
        c.execute(
            "for (const s of document.styleSheets) for (const r of s.cssRules) \
               if (r.media && r.media.mediaText === 'print') r.media.mediaText = 'all';",
            vec![],
        )
        .await
        .unwrap();
        c.set_window_size(900, 2600).await.unwrap();
        std::fs::write(
            format!("{dir}/election-{doc}.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        c.set_window_size(412, 915).await.unwrap();
        c.refresh().await.unwrap();
        wait_for(c, &format!("#{id}")).await;
    }
}

#[tokio::test]
async fn every_role_takes_every_step_of_an_election_in_the_browser() {
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
    for (login, owner) in [("zhang", "A1"), ("li", "A2"), ("wang", "B1"), ("sun", "D1")] {
        app.create_owner_user(login, "owner-password", "sanyijing", owner);
    }
    let browser = Browser::start().await;
    let c = &browser.client;

    // 1. The organiser forms the preparation group.
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url("/c/sanyijing/elections")).await.unwrap();
    wait_for(c, "#new-election").await;
    click(c, "#new-election").await;
    wait_for(c, "#create-form").await;
    fill(c, "title", "第三届业主委员会换届选举").await;
    fill(c, "member-0-name", "张三").await;
    fill(c, "member-1-name", "王主任").await;
    c.find(Locator::Id("member-1-role"))
        .await
        .unwrap()
        .select_by_value("street_office")
        .await
        .unwrap();
    fill(c, "member-2-name", "李书记").await;
    c.find(Locator::Id("member-2-role"))
        .await
        .unwrap()
        .select_by_value("residents_committee")
        .await
        .unwrap();
    click(c, "#create-submit").await;
    wait_step(c, "preparation_group_formed").await;
    let election = c.current_url().await.unwrap().path().to_owned();
    assert!(text_of(c, "#election-members").await.contains("王主任"));

    // 2. The announcement: the form proposes a timetable in Beijing time; a voting date too
    // soon after publication is refused with the problem named and everything kept.
    click(c, "#announce-link").await;
    wait_for(c, "#announce-form").await;
    fill(
        c,
        "candidate_requirements",
        "本小区业主，遵守管理规约，热心公益。",
    )
    .await;
    let nominations_open = value_of(c, "nomination_opens_at").await;
    let voting_opens = value_of(c, "voting_opens_at").await;
    let t0 = app.clock.now();
    set(
        c,
        "sitting_term_ends_at",
        &yishiting::clock::input_shanghai(t0 + 60 * DAY),
    )
    .await;
    set(c, "cosigners_required", "2").await;
    set(c, "voting_opens_at", &value_of(c, "review_ends_at").await).await;
    click(c, "#announce-submit").await;
    wait_for(c, "#form-problems").await;
    assert!(
        text_of(c, "#form-problems").await.contains("投票开始"),
        "{}",
        text_of(c, "#form-problems").await
    );
    assert_eq!(
        value_of(c, "candidate_requirements").await,
        "本小区业主，遵守管理规约，热心公益。"
    );
    assert_eq!(value_of(c, "cosigners_required").await, "2");
    assert_eq!(value_of(c, "nomination_opens_at").await, nominations_open);
    only_the_refusal_logged(&browser).await;
    shot(c, "announce-refused").await;
    set(c, "voting_opens_at", &voting_opens).await;
    click(c, "#announce-submit").await;
    wait_step(c, "announced").await;
    assert!(text_of(c, "#election-timetable")
        .await
        .contains(&nominations_open.replace('T', " ")));
    check_print(
        c,
        &app,
        &election,
        ("announcement", "print-announcement-doc", 1),
    )
    .await;
    no_console_errors(&browser).await;
    log_out(c).await;

    // 3. Owners nominate themselves once the window opens; another recommends a fellow owner
    // for co-signing online; the organiser enters a paper nomination with its co-signers.
    app.clock.advance(DAY + HOUR);
    for (n, login, statement) in [(1, "zhang", "愿意为大家服务"), (2, "sun", "")] {
        log_in(c, &app, login, "owner-password").await;
        c.goto(&app.url(&election)).await.unwrap();
        wait_for(c, "#nominate-form").await;
        assert!(c.find(Locator::Id("paper-form")).await.is_err());
        fill(c, "nominate-statement", statement).await;
        click(c, "#nominate-submit").await;
        wait_for(c, &format!("#election-candidates tbody tr:nth-child({n})")).await;
        assert!(c.find(Locator::Id("nominate-form")).await.is_err());
        log_out(c).await;
    }
    // An owner recommends 赵六 (C1) for other owners to co-sign online; with only its first
    // co-signer it is not yet a nomination (not reviewed, not listed).
    log_in(c, &app, "li", "owner-password").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#online-form").await;
    fill(c, "online-candidate_owner_ref", "C1").await;
    fill(c, "online-statement", "热心公益").await;
    click(c, "#online-submit").await;
    wait_for(
        c,
        "#election-collecting li[data-cosigners='1'][data-required='2'][data-signed='true']",
    )
    .await;
    assert!(text_of(c, "#election-collecting").await.contains("赵六"));
    no_console_errors(&browser).await;
    log_out(c).await;
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#paper-form").await;
    fill(c, "paper-candidate_owner_ref", "B1").await;
    set(c, "paper-cosigner_owner_refs", "A1\nD1").await;
    fill(c, "paper-statement", "热心肠").await;
    click(c, "#paper-submit").await;
    wait_for(c, "#election-candidates tr:nth-child(3)").await;
    let candidates = text_of(c, "#election-candidates").await;
    assert!(candidates.contains("2 位业主联名"), "{candidates}");

    // 4. The qualification review, a reason for every decision.
    app.clock.advance(7 * DAY);
    let token = app.token("organiser", "organiser-password").await;
    let id = election.rsplit('/').next().unwrap();
    let v: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/communities/sanyijing/elections/{id}"),
            Some(&token),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "form[id^='review-']").await;
    shot(c, "review").await;
    for cand in v["candidates"].as_array().unwrap() {
        if cand["status"] == "collecting" {
            continue;
        }
        let cid = cand["id"].as_i64().unwrap();
        let reject = cand["name"] == "孙七";
        wait_for(c, &format!("#review-{cid}-form")).await;
        if reject {
            click(c, &format!("#review-{cid}-rejected")).await;
        }
        let reason = if reject {
            "欠缴物业费，不符合候选人条件"
        } else {
            "符合候选人条件"
        };
        fill(c, &format!("review-{cid}-reason"), reason).await;
        click(c, &format!("#review-{cid}-submit")).await;
        let status = if reject { "rejected" } else { "accepted" };
        wait_for(c, &format!("#candidate-{cid}[data-status='{status}']")).await;
    }

    // 5. The list is published, with the election's ballot.
    app.clock.advance(3 * DAY);
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#publish-form").await;
    click(c, "#publish-submit").await;
    wait_step(c, "published").await;
    let list = text_of(c, "#election-list").await;
    assert!(list.contains("张三") && list.contains("王五") && !list.contains("孙七"));
    check_print(
        c,
        &app,
        &election,
        ("candidates", "print-candidates-doc", 1),
    )
    .await;
    no_console_errors(&browser).await;
    log_out(c).await;

    // An owner objects; the organiser answers.
    log_in(c, &app, "li", "owner-password").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#object-form").await;
    c.find(Locator::Id("object-candidate_id"))
        .await
        .unwrap()
        .select_by_label("王五")
        .await
        .unwrap();
    fill(c, "object-text", "王五去年未参加业主大会").await;
    click(c, "#object-submit").await;
    wait_for(c, "#election-objections li[data-answered='false']").await;
    assert!(c.find(Locator::Css("form[id^='answer-']")).await.is_err());
    log_out(c).await;
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "form[id^='answer-'] textarea").await;
    let answer_id = c
        .find(Locator::Css("form[id^='answer-'] textarea"))
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    fill(c, &answer_id, "经核实，王五符合条件。").await;
    click(c, "form[id^='answer-'] button[type='submit']").await;
    wait_for(c, "#election-objections li[data-answered='true']").await;

    // 6. Voting: the organiser records it open; owners vote on the ballot's pages.
    app.clock.advance(16 * DAY);
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#open-voting-form").await;
    click(c, "#open-voting-submit").await;
    wait_step(c, "voting").await;
    log_out(c).await;
    vote(c, &app, &election, "zhang", &["o1", "o2"]).await;
    vote(c, &app, &election, "wang", &["o1", "o2"]).await;
    vote(c, &app, &election, "sun", &["o1"]).await;
    no_console_errors(&browser).await;

    // 7. The count, then the ballot finalised and certified on its board, then the result.
    app.clock.advance(3 * DAY);
    log_in(c, &app, "organiser", "organiser-password").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#count-form").await;
    click(c, "#count-submit").await;
    wait_for(c, "#results").await;
    wait_step(c, "counted").await;
    check_print(
        c,
        &app,
        &election,
        ("result", "print-result-doc[data-final='false']", 1),
    )
    .await;
    app.clock.advance(8 * DAY);
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#ballot-link").await;
    click(c, "#ballot-link").await;
    wait_for(c, "#action-finalise").await;
    click(c, "#action-finalise").await;
    wait_for(c, "#action-certify").await;
    click(c, "#action-certify").await;
    wait_for(c, "#ballot-status[data-status='certified']").await;
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#certify-form").await;
    click(c, "#certify-submit").await;
    wait_step(c, "certified").await;
    let elected = text_of(c, "#results .result-elected").await;
    assert!(
        elected.contains("张三") && elected.contains("王五"),
        "{elected}"
    );

    // 8. The first meeting, 9. the filing.
    app.clock.advance(2 * DAY);
    c.goto(&app.url(&election)).await.unwrap();
    wait_for(c, "#meeting-form").await;
    for (id, value) in [("meeting-chair", "o1"), ("meeting-vice_chair", "o2")] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    click(c, "#meeting-submit").await;
    wait_step(c, "first_meeting_held").await;
    assert_eq!(text_of(c, "#meeting-chair").await, "张三");
    click(c, "#file-submit").await;
    wait_step(c, "filed").await;
    wait_for(c, "#election-filed[data-on-time='true']").await;
    shot(c, "filed").await;

    // The prints: the final result and the filing package.
    check_print(
        c,
        &app,
        &election,
        ("result", "print-result-doc[data-final='true']", 1),
    )
    .await;
    assert_eq!(text_of(c, "#print-tally-sha256").await.len(), 64);
    check_print(c, &app, &election, ("filing", "print-checkpoint", 6)).await;
    assert!(text_of(c, "#print-chair").await.contains("张三"));
    assert!(text_of(c, "#print-checkpoint")
        .await
        .contains("/sanyijing/elections/"));
    no_console_errors(&browser).await;
    log_out(c).await;

    // The public page, without login: names masked.
    c.goto(&app.url(&format!("{election}/public")))
        .await
        .unwrap();
    wait_step(c, "filed").await;
    let list = text_of(c, "#election-list").await;
    assert!(list.contains("张*") && !list.contains("张三"), "{list}");
    shot(c, "public").await;
    no_console_errors(&browser).await;
    browser.close().await;
}
