//! Convention pages without JavaScript: the drafting form (bad text shown again with the
//! problem, nothing stored), a comment on an article from the page (escaped), and who may
//! put a version to a vote. Runs on SQLite, and on PostgreSQL when
//! `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::{csrf_of, fixture, spawn_app, TestApp, SAMPLE_ROSTER};

const TEXT: &str = "第一条 总则\n为维护全体业主的合法权益，制定本规约。\n第二条 物业使用\n业主不得擅自改变房屋用途。\n第三条 附则\n本规约自业主大会表决通过之日起生效。\n";

async fn setup() -> (TestApp, common::Fixture) {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    (app, f)
}

#[tokio::test]
async fn the_pages_work_without_javascript() {
    let (app, _f) = setup().await;
    let organiser = app.browser_login("organiser", "organiser-password").await;
    let html = organiser
        .get(app.url("/c/sanyijing/conventions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"new-convention\""));
    let csrf = csrf_of(&html);
    // Bad text: the form again, with the problem, and nothing stored.
    let res = organiser
        .post(app.url("/c/sanyijing/conventions"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "management"),
            ("title", "管理规约"),
            ("text", "前言\n第一条 总则\n正文"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("第一条之前不能有其他文字"));
    assert!(!html.contains("id=\"convention-list\""));
    let res = organiser
        .post(app.url("/c/sanyijing/conventions"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "management"),
            ("title", "管理规约"),
            ("text", TEXT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("/versions/1"), "{to}");
    // An owner comments on article 2 from the page.
    let owner = app.browser_login("zhang", "owner-password").await;
    let html = owner
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"article-2\""));
    assert!(!html.contains("id=\"put-to-vote\""));
    let res = owner
        .post(app.url(&format!("{to}/comments")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("article", "2"),
            ("body", "<b>写清楚</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("#article-2"));
    let html = owner
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html.find("comment-body").unwrap_or(0);
    let around: String = html[at..].chars().take(200).collect();
    assert!(
        html.contains("&lt;b&gt;写清楚"),
        "comments are escaped: {around}"
    );
    assert!(!html.contains("<b>写清楚"));
    // The owner cannot put it to a vote.
    let res = owner
        .post(app.url(&format!("{to}/vote")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
