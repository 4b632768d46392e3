//! Accounts over HTTP: the first administrator, logging in and out, CSRF, rate limits,
//! invitation codes (issue, redeem, reissue) and the route × role authorisation matrix.

mod common;

use common::{csrf_of, fixture, spawn_app, Fixture, TestApp, SAMPLE_ROSTER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn the_first_administrator_comes_from_the_one_time_link() {
    let app = spawn_app().await;
    let token = {
        let mut conn = app.db.connect();
        yishiting::routes::auth::ensure_setup_token(&mut conn)
            .unwrap()
            .unwrap()
    };
    assert_eq!(app.get("/setup/not-the-token").await.status(), 404);
    let client = TestApp::new_client();
    let html = client
        .get(app.url(&format!("/setup/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let form = [
        ("login", "chief"),
        ("display_name", "管理员"),
        ("password", "a long password"),
        ("csrf", csrf.as_str()),
    ];
    let res = client
        .post(app.url(&format!("/setup/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Signed in as administrator.
    let html = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("开通小区"));
    // The link works once.
    let res = TestApp::new_client()
        .get(app.url(&format!("/setup/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let mut conn = app.db.connect();
    assert!(yishiting::routes::auth::ensure_setup_token(&mut conn)
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn login_logout_csrf_and_rate_limits() {
    let app = spawn_app().await;
    app.create_user("zhangsan", "right password", false);
    let client = TestApp::new_client();
    let html = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);

    // Without a valid CSRF token the form is refused.
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("login", "zhangsan"),
            ("password", "right password"),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Another browser's token does not fit this browser's cookie.
    let other = TestApp::new_client();
    let other_csrf = csrf_of(
        &other
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_ne!(other_csrf, csrf);
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("login", "zhangsan"),
            ("password", "right password"),
            ("csrf", other_csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // A wrong password: the form again, with a message, and no session.
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("login", "zhangsan"),
            ("password", "wrong"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("登录名或密码不对"));
    assert_eq!(
        client.get(app.url("/me")).send().await.unwrap().status(),
        401
    );

    // The right one, then the own page, then logout ends the session.
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("login", "ZhangSan "),
            ("password", "right password"),
            ("csrf", csrf.as_str()),
            ("next", "//evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/me",
        "an outside `next` is ignored"
    );
    let html = client
        .get(app.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("你好，zhangsan"));
    let stolen_cookie = client.get(app.url("/me")).send().await.unwrap().status();
    assert_eq!(stolen_cookie, 200);
    let res = client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        client.get(app.url("/me")).send().await.unwrap().status(),
        401
    );

    // Bearer tokens: revoked by API logout.
    let token = app.token("zhangsan", "right password").await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.api(Method::POST, "/api/v1/auth/logout", Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // A forged token is refused.
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some("e30.e30.x"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Five wrong tries for one account, then even the right password waits.
    app.create_user("lisi", "right password", false);
    for _ in 0..5 {
        let res = app
            .api(Method::POST, "/api/v1/auth/token", None)
            .json(&json!({"login": "lisi", "password": "nope"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app
        .api(Method::POST, "/api/v1/auth/token", None)
        .json(&json!({"login": "lisi", "password": "right password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

async fn issue(app: &TestApp, f: &Fixture, owner_ids: Option<Vec<i64>>) -> Vec<Value> {
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/codes",
            Some(&f.organiser),
        )
        .json(&json!({ "owner_ids": owner_ids }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json::<Vec<Value>>().await.unwrap()
}

#[tokio::test]
async fn invitation_codes_are_issued_redeemed_and_reissued() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "en").await.status(),
        200
    );

    let slips = issue(&app, &f, None).await;
    assert_eq!(slips.len(), 6, "one per owner, the developer included");
    let b1 = slips
        .iter()
        .find(|s| s["owner_ref"] == "B1")
        .unwrap()
        .clone();
    assert_eq!(b1["rooms"], json!(["1号楼 102", "1号楼 201"]));
    // Issuing again skips owners who already have a code.
    assert!(issue(&app, &f, None).await.is_empty());

    // Redeem through the API, typed sloppily.
    let code = b1["code"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .replace('-', " ");
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": code, "login": "wangwu", "display_name": "王五", "password": "wangwu's password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = app
        .api(Method::GET, "/api/v1/me", Some(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rooms: Vec<&str> = me["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["room"].as_str().unwrap())
        .collect();
    assert_eq!(rooms, ["102", "201"]);
    // A used code does not work twice.
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": b1["code"], "login": "someone", "display_name": "某人", "password": "another password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Bad fields are all reported, nothing is created.
    let a1 = slips.iter().find(|s| s["owner_ref"] == "A1").unwrap();
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": a1["code"], "login": "x", "display_name": "", "password": "short" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"].as_array().unwrap().len(), 3);

    // Reissue for B1: the old sessions end, the new code resets the same account.
    let owner_id = b1["owner_id"].as_i64().unwrap();
    let again = issue(&app, &f, Some(vec![owner_id])).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": again[0]["code"], "login": "wangwu", "display_name": "王五", "password": "a new password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["display_name"], "王五");
    assert!(!app.token("wangwu", "a new password").await.is_empty());
    // The audit trail has the issue, the reissue and the redemptions.
    let audit: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/audit",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "code.issue",
        "code.reissue",
        "code.redeem",
        "roster.import",
        "role.grant",
        "community.create",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(
        !audit
            .to_string()
            .contains(again[0]["code"].as_str().unwrap()),
        "codes never go into the audit trail"
    );
}

/// Every route of this issue, tried by every role, must give exactly the expected status.
#[tokio::test]
async fn route_by_role_matrix() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "en").await.status(),
        200
    );
    // A second community with its own organiser.
    let res = app
        .api(Method::POST, "/api/v1/communities", Some(&f.admin))
        .json(&json!({ "slug": "other", "name": "别的小区" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    app.create_user("other-organiser", "other organiser pw", false);
    app.create_user("scrutineer", "scrutineer password", false);
    app.create_user("lead", "lead password", false);
    app.create_user("target", "target password", false);
    for (slug, login, role, building) in [
        ("other", "other-organiser", "organiser", None),
        ("sanyijing", "scrutineer", "scrutineer", None),
        ("sanyijing", "lead", "building_lead", Some("1号楼")),
    ] {
        let res = app
            .api(
                Method::POST,
                &format!("/api/v1/communities/{slug}/roles"),
                Some(&f.admin),
            )
            .json(&json!({ "login": login, "role": role, "building": building }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{login}");
    }
    // An owner, through a code.
    let slips = issue(&app, &f, None).await;
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": slips[0]["code"], "login": "owner", "display_name": "业主", "password": "owner password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let roles = [
        "anonymous",
        "owner",
        "lead",
        "scrutineer",
        "other-organiser",
        "organiser",
        "admin",
    ];
    let mut tokens = std::collections::HashMap::new();
    tokens.insert("owner", app.token("owner", "owner password").await);
    tokens.insert("lead", app.token("lead", "lead password").await);
    tokens.insert(
        "scrutineer",
        app.token("scrutineer", "scrutineer password").await,
    );
    tokens.insert(
        "other-organiser",
        app.token("other-organiser", "other organiser pw").await,
    );
    tokens.insert("organiser", f.organiser.clone());
    tokens.insert("admin", f.admin.clone());

    // (method, path, body, expected status per role in the order of `roles`)
    let mut n = 0;
    let mut fresh = || {
        n += 1;
        n
    };
    type Case = (
        Method,
        String,
        Option<Value>,
        Option<&'static str>,
        [u16; 7],
    );
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            "/api/v1/me".into(),
            None,
            None,
            [401, 200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/communities".into(),
            None,
            None,
            [200, 200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/communities/sanyijing/roster".into(),
            None,
            None,
            [401, 403, 403, 200, 403, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/communities/sanyijing/roster.csv".into(),
            None,
            None,
            [401, 403, 403, 200, 403, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/communities/sanyijing/roster/import".into(),
            None,
            Some(SAMPLE_ROSTER),
            [401, 403, 403, 403, 403, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/communities/sanyijing/codes".into(),
            Some(json!({ "owner_ids": [] })),
            None,
            [401, 403, 403, 403, 403, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/communities/sanyijing/roles".into(),
            None,
            None,
            [401, 403, 403, 403, 403, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/communities/sanyijing/audit".into(),
            None,
            None,
            [401, 403, 403, 200, 403, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/communities/sanyijing/roles".into(),
            Some(json!({ "login": "target", "role": "scrutineer" })),
            None,
            [401, 403, 403, 403, 403, 201, 201],
        ),
        (
            Method::POST,
            "/api/v1/communities/sanyijing/roles".into(),
            Some(json!({ "login": "target", "role": "organiser" })),
            None,
            [401, 403, 403, 403, 403, 403, 201],
        ),
        (
            Method::GET,
            "/api/v1/communities/sanyijing/residents".into(),
            None,
            None,
            [401, 403, 403, 200, 403, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/communities/sanyijing/residents/import".into(),
            None,
            Some("household_ref,household_name,resident_ref,resident_name,birth_year\n"),
            [401, 403, 403, 403, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/communities/sanyijing/roles/999999".into(),
            None,
            None,
            [401, 403, 403, 403, 403, 404, 404],
        ),
        (
            Method::GET,
            "/api/v1/communities/nowhere/roster".into(),
            None,
            None,
            [401, 404, 404, 404, 404, 404, 404],
        ),
    ];
    for (method, path, body, csv, expected) in &cases {
        for (i, role) in roles.iter().enumerate() {
            let mut rb = app.api(method.clone(), path, tokens.get(role).map(String::as_str));
            if let Some(b) = body {
                rb = rb.json(b);
            }
            if let Some(c) = csv {
                rb = rb.body(c.to_string());
            }
            let status = rb.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected[i], "{method} {path} as {role}");
        }
    }
    // Buildings and communities are created fresh each time so every allowed call succeeds.
    for (i, role) in roles.iter().enumerate() {
        let k = fresh();
        let status = app
            .api(
                Method::POST,
                "/api/v1/communities/sanyijing/buildings",
                tokens.get(role).map(String::as_str),
            )
            .json(&json!({ "name": format!("{k}号楼") }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(
            status,
            [401, 403, 403, 403, 403, 201, 201][i],
            "buildings as {role}"
        );
        let status = app
            .api(
                Method::POST,
                "/api/v1/communities",
                tokens.get(role).map(String::as_str),
            )
            .json(&json!({ "slug": format!("c{k}"), "name": "小区" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(
            status,
            [401, 403, 403, 403, 403, 403, 201][i],
            "communities as {role}"
        );
    }

    // The pages, with browser sessions.
    let mut browsers = std::collections::HashMap::new();
    for (role, login, pw) in [
        ("owner", "owner", "owner password"),
        ("lead", "lead", "lead password"),
        ("scrutineer", "scrutineer", "scrutineer password"),
        ("other-organiser", "other-organiser", "other organiser pw"),
        ("organiser", "organiser", "organiser-password"),
        ("admin", "admin", "admin-password"),
    ] {
        browsers.insert(role, app.browser_login(login, pw).await);
    }
    let pages: [(&str, [u16; 7]); 9] = [
        ("/me", [401, 200, 200, 200, 200, 200, 200]),
        ("/admin", [401, 403, 403, 403, 403, 403, 200]),
        ("/c/sanyijing/roster", [401, 403, 403, 200, 403, 200, 200]),
        (
            "/c/sanyijing/roster.csv",
            [401, 403, 403, 200, 403, 200, 200],
        ),
        (
            "/c/sanyijing/roster/import",
            [401, 403, 403, 403, 403, 200, 200],
        ),
        ("/c/sanyijing/codes", [401, 403, 403, 403, 403, 200, 200]),
        ("/c/sanyijing/users", [401, 403, 403, 403, 403, 200, 200]),
        ("/c/sanyijing/audit", [401, 403, 403, 200, 403, 200, 200]),
        (
            "/c/sanyijing/residents",
            [401, 403, 403, 200, 403, 200, 200],
        ),
    ];
    for (path, expected) in pages {
        for (i, role) in roles.iter().enumerate() {
            let client = browsers
                .get(role)
                .cloned()
                .unwrap_or_else(TestApp::new_client);
            let res = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status().as_u16(), expected[i], "GET {path} as {role}");
            if res.status() != StatusCode::OK {
                assert!(res.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"));
            }
        }
    }

    // The state-changing forms, each with the browser's own CSRF token.
    type Form<'a> = (&'a str, Vec<(&'a str, &'a str)>, [u16; 7]);
    let forms: [Form; 4] = [
        (
            "/c/sanyijing/buildings",
            vec![("name", "")],
            [401, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/c/sanyijing/roles",
            vec![("login", "nobody"), ("role", "scrutineer")],
            [401, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/c/sanyijing/roles/999999/revoke",
            vec![],
            [401, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/admin/communities",
            vec![("slug", "Bad Slug"), ("name", "x")],
            [401, 403, 403, 403, 403, 403, 422],
        ),
    ];
    for (path, fields, expected) in &forms {
        for (i, role) in roles.iter().enumerate() {
            let client = browsers
                .get(role)
                .cloned()
                .unwrap_or_else(TestApp::new_client);
            let html = client
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = csrf_of(&html);
            let mut form = fields.clone();
            form.push(("csrf", &csrf));
            let res = client.post(app.url(path)).form(&form).send().await.unwrap();
            assert_eq!(res.status().as_u16(), expected[i], "POST {path} as {role}");
        }
    }
}

#[tokio::test]
async fn a_users_language_follows_them_and_401_pages_offer_a_login() {
    let app = spawn_app().await;
    app.create_user("laowang", "laowang password", false);
    let phone = app.browser_login("laowang", "laowang password").await;
    let html = phone
        .get(app.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    let html = phone
        .get(app.url("/me?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    // Another device, no cookie and a Chinese browser: the account's choice wins.
    let tablet = app.browser_login("laowang", "laowang password").await;
    let html = tablet
        .get(app.url("/me"))
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="en">"#), "{html}");

    let res = TestApp::new_client()
        .get(app.url("/c/sanyijing/roster"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(html.contains("请先登录"));
    assert!(
        html.contains(r#"href="/login?next=%2Fc%2Fsanyijing%2Froster""#),
        "{html}"
    );
}
