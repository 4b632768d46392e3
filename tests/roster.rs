//! The roster over HTTP: import with every kind of error, preview and confirm, totals and the
//! headcount breakdown, export, and the audit trail.

mod common;

use common::{fixture, spawn_app, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::Value;

const HEADER: &str = "building,room,area_registry,area_survey,area_contract,status,owner_ref,owner_name,owner_kind,owner_phone\n";

async fn roster(app: &common::TestApp, token: &str) -> Value {
    let res = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/roster",
            Some(token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// One bad file: 422, nothing changed, and the problem at the expected line and column.
async fn expect_problem(
    app: &common::TestApp,
    f: &common::Fixture,
    body: &str,
    line: u64,
    field: &str,
    zh: &str,
    en: &str,
) {
    for (lang, text) in [("zh-CN", zh), ("en", en)] {
        let res = f.import(app, body, true, lang).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let p: Value = res.json().await.unwrap();
        let errors = p["errors"].as_array().unwrap();
        let hit = errors
            .iter()
            .find(|e| e["line"] == line && e["field"] == field);
        let hit = hit.unwrap_or_else(|| panic!("no problem at line {line} {field}: {errors:?}"));
        assert!(
            hit["message"].as_str().unwrap().contains(text),
            "{lang}: {hit}"
        );
    }
    let r = roster(app, &f.organiser).await;
    assert_eq!(r["totals"]["units"], 0, "a bad file changed the roster");
}

#[tokio::test]
async fn every_import_error_is_reported_and_changes_nothing() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    // A duplicate room: the same owner twice for one unit.
    let dup = format!("{HEADER}1号楼,101,89.50,,,,A1,张三,,\n1号楼,101,89.50,,,,A1,张三,,\n");
    expect_problem(&app, &f, &dup, 3, "", "重复", "twice").await;
    // Zero and negative areas.
    let zero = format!("{HEADER}1号楼,101,0,,,,A1,张三,,\n");
    expect_problem(
        &app,
        &f,
        &zero,
        2,
        "area_registry",
        "大于零",
        "more than zero",
    )
    .await;
    let neg = format!("{HEADER}1号楼,101,-5,,,,A1,张三,,\n");
    expect_problem(
        &app,
        &f,
        &neg,
        2,
        "area_registry",
        "大于零",
        "more than zero",
    )
    .await;
    // A decimal comma.
    let comma = format!("{HEADER}1号楼,101,\"89,5\",,,,A1,张三,,\n");
    expect_problem(&app, &f, &comma, 2, "area_registry", "逗号", "comma").await;
    // An unknown building, naming the known ones.
    let unknown = format!("{HEADER}9号楼,101,89.50,,,,A1,张三,,\n");
    expect_problem(
        &app,
        &f,
        &unknown,
        2,
        "building",
        "1号楼、2号楼",
        "Known buildings",
    )
    .await;
    // One owner with conflicting identity data.
    let conflict = format!("{HEADER}1号楼,101,89.50,,,,A1,张三,,\n1号楼,102,90,,,,A1,张叁,,\n");
    expect_problem(&app, &f, &conflict, 3, "owner_name", "第 2 行", "line 2").await;
    // An empty required field.
    let empty = format!("{HEADER}1号楼,,89.50,,,,A1,张三,,\n");
    expect_problem(&app, &f, &empty, 2, "room", "不能为空", "must not be empty").await;

    // Several problems at once are all listed.
    // (Line 2 has an unquoted decimal comma, so one field too many.)
    let many = format!("{HEADER}1号楼,101,89,5,,,,A1,张三,,\n9号楼,102,0,,,,,张三,,\n");
    let res = f.import(&app, &many, true, "en").await;
    let p: Value = res.json().await.unwrap();
    let lines: Vec<u64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert!(
        lines.contains(&2) && lines.iter().filter(|l| **l == 3).count() == 3,
        "{p}"
    );

    // Nothing reached the audit trail either.
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
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] != "roster.import"));
}

#[tokio::test]
async fn import_previews_then_applies_and_counts_by_the_rules() {
    let app = spawn_app().await;
    let f = fixture(&app).await;

    // Preview: nothing applied yet.
    let res = f.import(&app, SAMPLE_ROSTER, false, "en").await;
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["applied"], false);
    assert_eq!(preview["diff"]["units_added"].as_array().unwrap().len(), 6);
    assert_eq!(preview["diff"]["after"]["headcount"], 4);
    assert_eq!(roster(&app, &f.organiser).await["totals"]["units"], 0);

    // Apply, with the fingerprint from the preview.
    let expected = preview["current"].as_str().unwrap();
    let res = app
        .api(
            Method::POST,
            &format!(
                "/api/v1/communities/sanyijing/roster/import?confirm=true&expected={expected}"
            ),
            Some(&f.organiser),
        )
        .body(SAMPLE_ROSTER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let r = roster(&app, &f.organiser).await;
    // 89.50 + 92.10 + 120.00 + 75.25 + 80.00 + 66.60 (registry beats survey) = 523.45 m².
    assert_eq!(r["totals"]["area"], 52345);
    // Co-owners A1+A2 one; buyer B1 of two units one; the developer's unsold and undelivered
    // units one; D1 one.
    assert_eq!(r["totals"]["headcount"], 4);
    assert_eq!(r["totals"]["units"], 6);
    let b1 = r["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "1号楼")
        .unwrap();
    assert_eq!(
        (b1["area"].as_i64(), b1["headcount"].as_i64()),
        (Some(30160), Some(2))
    );
    let bases: Vec<&str> = r["collapses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["basis"].as_str().unwrap())
        .collect();
    assert!(
        bases.contains(&"co_owners")
            && bases.contains(&"same_buyer")
            && bases.contains(&"developer"),
        "{bases:?}"
    );
    let dev = r["collapses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["basis"] == "developer")
        .unwrap();
    assert_eq!(dev["units"], serde_json::json!(["2号楼 101", "2号楼 102"]));
    let u = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["building"] == "2号楼" && u["room"] == "201")
        .unwrap();
    assert_eq!(
        (u["effective_area"].as_i64(), u["area_source"].as_str()),
        (Some(6660), Some("registry"))
    );

    // A stale preview cannot be applied.
    let res = app
        .api(
            Method::POST,
            &format!(
                "/api/v1/communities/sanyijing/roster/import?confirm=true&expected={expected}"
            ),
            Some(&f.organiser),
        )
        .body(SAMPLE_ROSTER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    // Re-import a changed roster: the difference and the change in totals.
    let changed = SAMPLE_ROSTER
        .replace(
            "1号楼,102,,92.10,,delivered,B1,王五,person,",
            "1号楼,102,,92.10,,delivered,E1,周八,person,",
        )
        .replace("2号楼,201,66.60,70.00,,delivered,D1,孙七,person,\n", "");
    let d: Value = f
        .import(&app, &changed, false, "en")
        .await
        .json()
        .await
        .unwrap();
    let d = &d["diff"];
    assert_eq!(d["units_removed"][0]["room"], "201");
    assert_eq!(
        d["units_changed"][0]["after"]["owner_refs"],
        serde_json::json!(["E1"])
    );
    assert_eq!(d["owners_added"][0]["owner_ref"], "E1");
    assert_eq!(d["owners_removed"][0]["owner_ref"], "D1");
    assert_eq!(
        (
            d["before"]["headcount"].as_i64(),
            d["after"]["headcount"].as_i64()
        ),
        (Some(4), Some(4))
    );
    assert_eq!(
        d["after"]["area"].as_i64().unwrap() - d["before"]["area"].as_i64().unwrap(),
        -6660
    );
    assert_eq!(f.import(&app, &changed, true, "en").await.status(), 200);
    assert_eq!(roster(&app, &f.organiser).await["totals"]["units"], 5);

    // Export round-trips through the import format.
    let res = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/roster.csv",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let again: Value = f
        .import(&app, &csv, false, "en")
        .await
        .json()
        .await
        .unwrap();
    for k in [
        "units_added",
        "units_removed",
        "units_changed",
        "owners_added",
        "owners_removed",
        "owners_changed",
    ] {
        assert_eq!(
            again["diff"][k].as_array().unwrap().len(),
            0,
            "{k} after export round trip"
        );
    }

    // Both imports are in the audit trail, with before/after totals.
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
    let imports: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "roster.import")
        .collect();
    assert_eq!(imports.len(), 2);
    assert!(imports[1]["after_summary"]
        .as_str()
        .unwrap()
        .contains("\"headcount\":4"));
}

#[tokio::test]
async fn the_audit_trail_cannot_be_edited() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let _f = fixture(&app).await;
    let mut conn = app.db.connect();
    assert!(diesel::sql_query("UPDATE audit_log SET action = 'x'")
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut conn)
        .is_err());
    let n: i64 = {
        use diesel::prelude::*;
        yishiting::db::schema::audit_log::table
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert!(n >= 4, "community, role and two buildings were recorded");
}

#[tokio::test]
async fn the_import_page_previews_and_confirms_without_javascript() {
    let app = spawn_app().await;
    let _f = fixture(&app).await;
    let client = app.browser_login("organiser", "organiser-password").await;
    let html = client
        .get(app.url("/c/sanyijing/roster/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    // A bad file: the page lists the problems in Chinese, with line numbers.
    let bad = format!("{HEADER}1号楼,101,\"89,5\",,,,A1,张三,,\n");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bad.into_bytes()).file_name("roster.csv"),
        );
    let res = client
        .post(app.url("/c/sanyijing/roster/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"import-problems\"")
            && html.contains("第 2 行")
            && html.contains("逗号"),
        "{html}"
    );
    // A good file: a preview, then confirmation.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(SAMPLE_ROSTER.as_bytes().to_vec())
                .file_name("roster.csv"),
        );
    let html = client
        .post(app.url("/c/sanyijing/roster/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"import-preview\""));
    assert!(html.contains("新增房屋 6 套"));
    let expected = html
        .split("name=\"expected\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("expected", expected)
        .text("content", SAMPLE_ROSTER.to_owned());
    let res = client
        .post(app.url("/c/sanyijing/roster/import/confirm"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = client
        .get(app.url("/c/sanyijing/roster"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"total-area\">523.45 m²"), "{html}");
    assert!(html.contains("id=\"total-headcount\">4<"));
    assert!(html.contains("建设单位未售或未交付的房屋"));
    // Without the CSRF token nothing happens.
    let form = reqwest::multipart::Form::new().text("csrf", "wrong").part(
        "file",
        reqwest::multipart::Part::bytes(SAMPLE_ROSTER.as_bytes().to_vec()).file_name("roster.csv"),
    );
    let res = client
        .post(app.url("/c/sanyijing/roster/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
