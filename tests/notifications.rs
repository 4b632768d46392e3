//! Notifications: who hears of replies, the co-sign level, status changes and ballots opening
//! and closing; channels (off, inbox, email through the file transport); the settings and their
//! validation; the daily digest (in the server's library and `yishiting digest`); the inbox
//! page without JavaScript. Runs on SQLite, and on PostgreSQL when
//! `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use std::time::Duration;

use common::ballots::{definition, DAY};
use common::mail::{messages, wait_for_mail};
use common::{csrf_of, fixture, spawn_app, Fixture, TestApp, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/communities/sanyijing";

struct T {
    app: TestApp,
    f: Fixture,
    zhang: String,
    li: String,
    wang: String,
    sun: String,
}

/// The sample roster and four owners: zhang (A1) and li (A2) share a unit, wang (B1), sun (D1).
async fn setup() -> T {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    for (login, owner) in [("zhang", "A1"), ("li", "A2"), ("wang", "B1"), ("sun", "D1")] {
        app.create_owner_user(login, "owner-password", "sanyijing", owner);
    }
    let zhang = app.token("zhang", "owner-password").await;
    let li = app.token("li", "owner-password").await;
    let wang = app.token("wang", "owner-password").await;
    let sun = app.token("sun", "owner-password").await;
    T {
        app,
        f,
        zhang,
        li,
        wang,
        sun,
    }
}

impl T {
    async fn json(
        &self,
        m: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let mut r = self.app.api(m, path, Some(token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let got = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(got, status, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
    async fn propose(&self, token: &str, title: &str) -> i64 {
        let body = json!({"title": title, "body": "晚上没有灯。", "category": "safety"});
        let v = self
            .json(
                Method::POST,
                &format!("{BASE}/proposals"),
                token,
                Some(body),
                201,
            )
            .await;
        v["id"].as_i64().unwrap()
    }
    async fn comment(&self, token: &str, id: i64, parent: Option<i64>) -> i64 {
        let mut body = json!({"body": "同意，应该尽快处理。"});
        if let Some(p) = parent {
            body["parent_id"] = json!(p);
        }
        let path = format!("{BASE}/proposals/{id}/comments");
        let v = self.json(Method::POST, &path, token, Some(body), 201).await;
        v["id"].as_i64().unwrap()
    }
    async fn inbox(&self, token: &str) -> Value {
        self.json(Method::GET, "/api/v1/me/notifications", token, None, 200)
            .await
    }
    /// The kinds in a user's inbox, newest first.
    async fn kinds(&self, token: &str) -> Vec<String> {
        self.inbox(token).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    }
    async fn settings(&self, token: &str, body: Value, status: u16) -> Value {
        let path = "/api/v1/me/notification-settings";
        self.json(Method::PUT, path, token, Some(body), status)
            .await
    }
    fn mail_dir(&self) -> std::path::PathBuf {
        common::data_dir_mail(&self.app.db)
    }
}

#[tokio::test]
async fn replies_the_cosign_level_and_status_changes() {
    let t = setup().await;
    let id = t.propose(&t.zhang, "地下车库加装照明").await;
    // li comments; zhang replies: li hears of it, zhang does not.
    let root = t.comment(&t.li, id, None).await;
    let reply = t.comment(&t.zhang, id, Some(root)).await;
    let li = t.inbox(&t.li).await;
    assert_eq!(li["unread"], 1);
    assert_eq!(li["items"][0]["kind"], "reply");
    assert_eq!(li["items"][0]["title"], "地下车库加装照明");
    assert_eq!(
        li["items"][0]["url"],
        format!("/c/sanyijing/proposals/{id}#comment-{reply}")
    );
    assert!(t.kinds(&t.zhang).await.is_empty());
    // Replying to oneself tells nobody.
    t.comment(&t.li, id, Some(root)).await;
    assert_eq!(t.kinds(&t.li).await, ["reply"]);

    // The co-sign level (one half): the co-signature that reaches it tells the organisers, once.
    let level = json!({"cosign_level_num": 1, "cosign_level_den": 2, "report_hide_threshold": 3});
    t.json(
        Method::PUT,
        &format!("{BASE}/forum-settings"),
        &t.f.organiser,
        Some(level),
        200,
    )
    .await;
    let path = format!("{BASE}/proposals/{id}/cosignatures");
    for who in [&t.zhang, &t.li] {
        t.json(Method::POST, &path, who, None, 201).await;
    }
    assert!(t.kinds(&t.f.organiser).await.is_empty());
    let c = t.json(Method::POST, &path, &t.wang, None, 201).await;
    assert_eq!(c["reached_now"], true);
    t.json(Method::POST, &path, &t.sun, None, 201).await;
    assert_eq!(t.kinds(&t.f.organiser).await, ["cosign_level"]);
    assert!(!t.kinds(&t.wang).await.contains(&"cosign_level".to_owned()));

    // An organiser's step tells the author; the author's own step does not.
    let step = format!("{BASE}/proposals/{id}/transitions");
    t.json(
        Method::POST,
        &step,
        &t.f.organiser,
        Some(json!({"action": "review"})),
        200,
    )
    .await;
    assert_eq!(t.kinds(&t.zhang).await, ["proposal_status"]);
    let own = t.propose(&t.zhang, "小区绿化").await;
    let body = json!({"action": "withdraw", "reason": "已解决"});
    t.json(
        Method::POST,
        &format!("{BASE}/proposals/{own}/transitions"),
        &t.zhang,
        Some(body),
        200,
    )
    .await;
    assert_eq!(t.kinds(&t.zhang).await, ["proposal_status"]);

    // Mark read through the API: some, then all; others' ids are ignored.
    let organiser_item = t.inbox(&t.f.organiser).await["items"][0]["id"].clone();
    let v = t
        .json(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.li,
            Some(json!({"ids": [organiser_item]})),
            200,
        )
        .await;
    assert_eq!(v["marked"], 0);
    let li_item = t.inbox(&t.li).await["items"][0]["id"].clone();
    let v = t
        .json(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.li,
            Some(json!({"ids": [li_item]})),
            200,
        )
        .await;
    assert_eq!(v["marked"], 1);
    assert_eq!(t.inbox(&t.li).await["unread"], 0);
    let v = t
        .json(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.zhang,
            Some(json!({"all": true})),
            200,
        )
        .await;
    assert_eq!(v["marked"], 1);
    assert_eq!(t.inbox(&t.zhang).await["items"][0]["read"], true);
}

#[tokio::test]
async fn ballots_opening_and_closing_tell_their_voters() {
    let t = setup().await;
    let id = t.app.open_ballot(&t.f, definition(0, 0)).await;
    for who in [&t.zhang, &t.li, &t.wang, &t.sun] {
        assert_eq!(t.kinds(who).await, ["ballot_open"]);
    }
    let v = t.inbox(&t.wang).await;
    assert_eq!(v["items"][0]["url"], format!("/c/sanyijing/ballots/{id}"));
    assert_eq!(v["items"][0]["title"], "关于加装电梯的表决");
    assert!(t.kinds(&t.f.organiser).await.is_empty());
    // The window ends; the schedule closes the ballot when it is next read.
    t.app.clock.advance(8 * DAY);
    t.app.board_json(&t.f.slug, id, "").await;
    for who in [&t.zhang, &t.li, &t.wang, &t.sun] {
        assert_eq!(t.kinds(who).await, ["ballot_close", "ballot_open"]);
    }
}

#[tokio::test]
async fn channels_settings_and_email() {
    let t = setup().await;
    let doc: Value = t
        .app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/me/notifications",
        "/api/v1/me/notifications/read",
        "/api/v1/me/notification-settings",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    // A bad address: 422 naming the field, nothing stored.
    let v = t
        .settings(
            &t.li,
            json!({"email": "li at example", "digest": true, "channels": {"reply": "email"}}),
            422,
        )
        .await;
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"email"), "{v}");
    let v = t
        .settings(
            &t.li,
            json!({"channels": {"reply": "sms", "weather": "inbox"}}),
            422,
        )
        .await;
    assert_eq!(v["errors"].as_array().unwrap().len(), 2, "{v}");
    let stored = t
        .json(
            Method::GET,
            "/api/v1/me/notification-settings",
            &t.li,
            None,
            200,
        )
        .await;
    assert_eq!(stored["email"], "");
    assert_eq!(stored["digest"], false);
    assert_eq!(stored["channels"]["reply"], "inbox");

    // li wants replies by email; zhang wants none.
    let v = t
        .settings(
            &t.li,
            json!({"email": " li@example.cn ", "channels": {"reply": "email"}}),
            200,
        )
        .await;
    assert_eq!(v["email"], "li@example.cn");
    assert_eq!(v["channels"]["reply"], "email");
    t.settings(&t.zhang, json!({"channels": {"reply": "off"}}), 200)
        .await;

    let id = t.propose(&t.wang, "电梯维修").await;
    let li_root = t.comment(&t.li, id, None).await;
    let zhang_root = t.comment(&t.zhang, id, None).await;
    t.comment(&t.zhang, id, Some(li_root)).await;
    t.comment(&t.li, id, Some(zhang_root)).await;
    assert_eq!(t.kinds(&t.li).await, ["reply"]);
    assert!(t.kinds(&t.zhang).await.is_empty(), "off suppresses");

    let mail = wait_for_mail(&t.mail_dir(), |m| !m.is_empty()).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let (to, subject, body) = &mail[0];
    assert!(to.contains("li@example.cn"), "{to}");
    assert!(subject.starts_with("【议事亭】"), "{subject}");
    assert!(subject.contains("电梯维修"), "{subject}");
    assert!(body.contains("有人回复了你的评论"), "{body}");
    assert!(body.contains("Someone replied to your comment"), "{body}");
    assert!(
        body.contains(&format!("/c/sanyijing/proposals/{id}#comment-")),
        "{body}"
    );
    // It is not sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(messages(&t.mail_dir()).len(), 1);
}

/// Settings for li: an address and the digest; replies in the inbox only.
async fn digest_for_li(t: &T) {
    t.settings(
        &t.li,
        json!({"email": "li@example.cn", "digest": true}),
        200,
    )
    .await;
}

fn to_li(m: &[(String, String, String)]) -> Vec<(String, String, String)> {
    m.iter()
        .filter(|(to, _, _)| to.contains("li@example.cn"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_daily_digest() {
    let t = setup().await;
    digest_for_li(&t).await;
    let id = t.propose(&t.wang, "快递柜位置").await;
    let root = t.comment(&t.li, id, None).await;
    t.comment(&t.zhang, id, Some(root)).await;
    t.comment(&t.wang, id, Some(root)).await;
    assert_eq!(t.kinds(&t.li).await.len(), 2);

    let settings = yishiting::notify::mail::MailSettings {
        transport: yishiting::notify::mail::MailTransport::Dir(t.mail_dir()),
        from: yishiting::notify::mail::DEFAULT_FROM.into(),
        public_url: "https://vote.example.cn".into(),
    };
    let mailer = yishiting::notify::Mailer::new(&settings).unwrap();
    let mut conn = t.app.db.connect();
    let now = t.app.clock.now();
    yishiting::notify::send_digests(&mut conn, &mailer, now).unwrap();
    let mail = to_li(&messages(&t.mail_dir()));
    assert_eq!(mail.len(), 1, "one digest with both items: {mail:?}");
    let (_, subject, body) = &mail[0];
    assert!(subject.starts_with("【议事亭】"), "{subject}");
    assert_eq!(
        body.matches("快递柜位置").count(),
        4,
        "two items, twice each: {body}"
    );
    assert!(
        body.contains("https://vote.example.cn/c/sanyijing/proposals/"),
        "{body}"
    );

    // Not again within 24 hours, even with something new.
    t.comment(&t.sun, id, Some(root)).await;
    t.app.clock.advance(23 * 3600);
    yishiting::notify::send_digests(&mut conn, &mailer, t.app.clock.now()).unwrap();
    assert_eq!(to_li(&messages(&t.mail_dir())).len(), 1);
    // A day later: only what is new since.
    t.app.clock.advance(3600);
    yishiting::notify::send_digests(&mut conn, &mailer, t.app.clock.now()).unwrap();
    let mail = wait_for_mail(&t.mail_dir(), |m| to_li(m).len() >= 2).await;
    let mail = to_li(&mail);
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(mail
        .iter()
        .any(|(_, s, b)| s.contains("1") && b.matches("快递柜位置").count() == 2));
}

#[tokio::test]
async fn the_digest_command() {
    let t = setup().await;
    digest_for_li(&t).await;
    let id = t.propose(&t.wang, "垃圾分类").await;
    let root = t.comment(&t.li, id, None).await;
    t.comment(&t.zhang, id, Some(root)).await;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_yishiting"))
            .args(["digest", "--database-url", &t.app.db.url.target])
            .env_remove("DATABASE_URL")
            .env_remove("YISHITING_SMTP_URL")
            .env("YISHITING_MAIL_DIR", dir.path())
            .env("YISHITING_DATA_DIR", t.app.db.dir.path().join("data"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run().contains("digests sent: 1"));
    let mail = messages(dir.path());
    assert_eq!(mail.len(), 1);
    assert!(mail[0].0.contains("li@example.cn"));
    assert!(run().contains("digests sent: 0"));
    assert_eq!(messages(dir.path()).len(), 1);
}

#[tokio::test]
async fn the_inbox_page_without_javascript() {
    let t = setup().await;
    let id = t.propose(&t.zhang, "<script>alert(1)</script>停车").await;
    let root = t.comment(&t.li, id, None).await;
    t.comment(&t.zhang, id, Some(root)).await;
    t.comment(&t.wang, id, Some(root)).await;
    let browser = t.app.browser_login("li", "owner-password").await;
    let get = |path: &str| {
        let (b, url) = (browser.clone(), t.app.url(path));
        async move { b.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let me = get("/me").await;
    assert!(me.contains(r#"href="/me/inbox""#));
    assert!(me.contains(r#"id="unread-count""#), "the header's badge");
    // Tera escapes '/' in text as &#x2F;.
    let html = get("/me/inbox").await.replace("&#x2F;", "/");
    assert!(!html.contains("<script>alert(1)"), "escaped");
    assert!(html.contains("&lt;script&gt;"));
    assert_eq!(
        html.matches("class=\"card notification unread\"").count(),
        2
    );
    assert!(html.contains(&format!("href=\"/c/sanyijing/proposals/{id}#comment-")));
    assert!(!html.contains("<script"), "no JavaScript");
    // Mark one read by its form, then all.
    let first = t.inbox(&t.li).await["items"][0]["id"].as_i64().unwrap();
    let res = browser
        .post(t.app.url("/me/inbox/read"))
        .form(&[("csrf", csrf_of(&html)), ("id", first.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(t.inbox(&t.li).await["unread"], 1);
    // Without the CSRF token, nothing happens.
    let res = browser
        .post(t.app.url("/me/inbox/read"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(t.inbox(&t.li).await["unread"], 1);
    let html = get("/me/inbox").await;
    let res = browser
        .post(t.app.url("/me/inbox/read"))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(t.inbox(&t.li).await["unread"], 0);
    assert!(!get("/me").await.contains(r#"id="unread-count""#));

    // The settings form: a bad address is shown again with 422 and nothing stored.
    let form = get("/me/notifications").await;
    let res = browser
        .post(t.app.url("/me/notifications"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("email", "not an address"),
            ("digest", "on"),
            ("channel_reply", "email"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("settings-errors"));
    let res = browser
        .post(t.app.url("/me/notifications"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("email", "li@example.cn"),
            ("channel_reply", "off"),
            ("channel_ballot_open", "email"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let s = t
        .json(
            Method::GET,
            "/api/v1/me/notification-settings",
            &t.li,
            None,
            200,
        )
        .await;
    assert_eq!(
        (
            s["email"].as_str(),
            s["digest"].as_bool(),
            s["channels"]["reply"].as_str(),
            s["channels"]["ballot_open"].as_str()
        ),
        (
            Some("li@example.cn"),
            Some(false),
            Some("off"),
            Some("email")
        )
    );
}

#[tokio::test]
async fn a_building_report_moving_on_tells_its_reporter() {
    let t = setup().await;
    let building = {
        let mut conn = t.app.db.connect();
        let c = yishiting::db::communities::by_slug(&mut conn, "sanyijing")
            .unwrap()
            .unwrap();
        yishiting::db::roster::buildings(&mut conn, c.id).unwrap()[0].id
    };
    let body = json!({"building_id": building, "category": "lighting", "title": "楼道灯坏了",
        "description": "三楼楼道灯不亮。", "location": "三楼"});
    let path = format!("{BASE}/building-reports");
    let r = t.json(Method::POST, &path, &t.zhang, Some(body), 201).await;
    let id = r["id"].as_i64().unwrap();
    assert!(t.kinds(&t.zhang).await.is_empty());
    let step = json!({"action": "acknowledge", "note": "已收到"});
    let events = format!("{BASE}/building-reports/{id}/events");
    t.json(Method::POST, &events, &t.f.organiser, Some(step), 200)
        .await;
    assert_eq!(t.kinds(&t.zhang).await, ["report_status"]);
    let v = t.inbox(&t.zhang).await;
    assert_eq!(
        v["items"][0]["url"],
        format!("/c/sanyijing/building-reports/{id}")
    );
    assert!(t.kinds(&t.li).await.is_empty());
}
