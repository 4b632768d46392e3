//! The HTTP surface of the foundation: health, pages in both languages, errors, headers, API.

mod common;

use chrono::Utc;
use common::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;
use yishiting::db::communities::{self, NewCommunity};

fn seed_community(app: &common::TestApp, slug: &str, name: &str) {
    let mut conn = app.db.connect();
    communities::insert(
        &mut conn,
        &NewCommunity {
            slug,
            name,
            name_en: "Sanyijing Community",
            district: "雨湖区",
            created_at: Utc::now().naive_utc(),
        },
    )
    .expect("insert community");
}

#[tokio::test]
async fn healthz_answers_with_the_backend() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = if app.db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn home_page_is_chinese_by_default_and_explains_the_service() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains("议事亭：小区的事，大家商量着办"));
    assert!(html.contains("第二百七十八条"));
    // Where to go next, and the empty state rather than an empty shell.
    assert!(html.contains(r#"href="/rules""#));
    assert!(html.contains(r#"id="community-list-empty""#));
    // No asset from another host.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"));
}

#[tokio::test]
async fn language_switches_per_request_and_is_remembered() {
    let app = spawn_app().await;
    let res = app.get("/?lang=en").await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("the community decides together"));
    // The switch offers Chinese back.
    // (Tera escapes `/` in attributes as `&#x2F;`, which browsers read as `/`.)
    assert!(html.contains(r#"href="&#x2F;?lang=zh-CN""#));

    // The cookie carries the choice to the next page.
    let html = app.get("/rules").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Voting rules and their legal basis"));
    // The law itself is quoted in Chinese on the English page too.
    assert!(html.contains("业主共同决定事项，应当由专有部分面积占比三分之二以上的业主"));

    // A fresh browser that prefers English by its headers.
    let other = common::TestApp::new_client();
    let html = other
        .get(app.url("/"))
        .header("Accept-Language", "en-GB,en;q=0.9,zh;q=0.3")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    // An unknown language falls back to Chinese.
    let html = other
        .get(app.url("/"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
}

#[tokio::test]
async fn security_headers_on_pages_api_and_errors() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/api/v1/communities",
        "/no-such-page",
        "/api/v1/nothing",
        "/static/app.css",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn unknown_page_gets_a_readable_page_in_the_right_language() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("找不到这个页面"));
    assert!(html.contains("返回首页"));

    let html = app.get("/no-such-page?lang=en").await.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn api_errors_are_problem_json() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/nothing-here").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["status"], 404);
    assert_eq!(p["type"], "urn:yishiting:problem:not-found");
    assert_eq!(p["code"], "not-found");
    assert_eq!(p["instance"], "/api/v1/nothing-here");
    assert_eq!(p["title"], "找不到这个页面");

    // The wrong method on a real route.
    let res = app
        .client
        .put(app.url("/api/v1/communities"))
        .header("Accept-Language", "en")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res_allow = res.headers()["allow"].to_str().unwrap().to_owned();
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "method-not-allowed");
    assert_eq!(p["title"], "Method not allowed");
    assert!(
        res_allow.contains("GET") && res_allow.contains("POST"),
        "{res_allow}"
    );

    // A browser asking for JSON gets JSON, even off the API.
    let res = app
        .client
        .get(app.url("/missing"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1",
        "/api/v1/communities",
        "/api/v1/openapi.json",
        "/healthz",
        "/api/v1/auth/token",
        "/api/v1/redeem",
        "/api/v1/me",
        "/api/v1/communities/{slug}/roster",
        "/api/v1/communities/{slug}/roster/import",
        "/api/v1/communities/{slug}/residents",
        "/api/v1/communities/{slug}/codes",
        "/api/v1/communities/{slug}/roles",
        "/api/v1/communities/{slug}/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let index: Value = app.get("/api/v1").await.json().await.unwrap();
    assert_eq!(index["openapi"], "/api/v1/openapi.json");
}

#[tokio::test]
async fn communities_show_on_the_api_and_the_home_page_escaped() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/api/v1/communities")
            .await
            .json::<Value>()
            .await
            .unwrap(),
        serde_json::json!([])
    );
    seed_community(&app, "sanyijing", "三义井社区<script>alert(1)</script>");
    let list: Value = app.get("/api/v1/communities").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["slug"], "sanyijing");
    assert_eq!(list[0]["district"], "雨湖区");

    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("三义井社区&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains(r#"id="community-list-empty""#));
    let html = app.get("/?lang=en").await.text().await.unwrap();
    assert!(html.contains("Sanyijing Community"));
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert!(res.text().await.unwrap().contains("font-size: 125%"));
    assert_eq!(app.get("/static/icon.svg").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/%2e%2e/Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/nope.css").await.status(),
        StatusCode::NOT_FOUND
    );
    // Templates and translations are not assets.
    assert_eq!(
        app.get("/static/../base.html").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// On PostgreSQL the database can be taken away from under a running server; the health
/// check must then say so. (On SQLite an open file cannot be taken away; the start-up check
/// below covers an unusable SQLite path instead.)
#[tokio::test]
async fn healthz_reports_an_unreachable_database() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let url = yishiting::config::DatabaseUrl::parse(dir.path().to_str().unwrap()).unwrap();
        let err = yishiting::db::Database::open(&url, 1)
            .err()
            .expect("a directory is no database");
        assert!(!err.to_string().is_empty());
        return;
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let name = app.db.pg_database_name().unwrap().to_owned();
    let mut admin = app.db.connect_admin();
    diesel::sql_query(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "unavailable");
    // Nothing about the cause reaches the client.
    assert!(p.get("detail").is_none());
    diesel::sql_query(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .unwrap();
    // The pool reconnects by itself once the database is back.
    let start = std::time::Instant::now();
    while app.get("/healthz").await.status() != StatusCode::OK {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no recovery"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
