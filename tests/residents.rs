//! The residents' register: import with errors and a preview, the electorate of a residents'
//! assembly (adults, or household representatives), export.

mod common;

use common::{fixture, spawn_app, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::Value;

const HEADER: &str = "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\n";

async fn import(
    app: &common::TestApp,
    f: &common::Fixture,
    csv: &str,
    confirm: bool,
) -> reqwest::Response {
    app.api(
        Method::POST,
        &format!("/api/v1/communities/sanyijing/residents/import?confirm={confirm}"),
        Some(&f.organiser),
    )
    .header("Accept-Language", "zh-CN")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn residents_register_counts_adults_and_representatives() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "en").await.status(),
        200
    );
    let year = yishiting::routes::residents::current_year();
    let adult = year - 40;
    let eighteen = year - 18;
    let minor = year - 17;

    // Problems: an address not on the roster, a minor as representative, a bad year.
    let bad = format!("{HEADER}H1,张家,1号楼,999,R1,张三,{adult},是\n");
    let res = import(&app, &f, &bad, true).await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("不在业主名册里"),
        "{p}"
    );
    let bad = format!(
        "{HEADER}H1,张家,1号楼,101,R1,张小,{minor},是\nH1,张家,1号楼,101,R2,张三,19x0,否\n"
    );
    let p: Value = import(&app, &f, &bad, true).await.json().await.unwrap();
    let lines: Vec<u64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&2) && lines.contains(&3), "{p}");
    let overview: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/residents",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        overview["totals"]["residents"], 0,
        "a bad file changed nothing"
    );

    // A good register: three households, one without a representative.
    let good = format!(
        "{HEADER}H1,张家,1号楼,101,R1,张三,{adult},是\nH1,张家,1号楼,101,R2,张小,{minor},否\n\
         H2,王家,1号楼,102,R3,王五,{eighteen},是\nH3,租户李家,2号楼,201,R4,李四,{adult},\n"
    );
    let res = import(&app, &f, &good, false).await;
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["applied"], false);
    assert_eq!(
        preview["after"]["adults"], 3,
        "exactly 18 counts, 17 does not"
    );
    assert_eq!(preview["after"]["representatives"], 2);
    assert_eq!(import(&app, &f, &good, true).await.status(), 200);
    let overview: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/residents",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(overview["totals"]["households"], 3);
    assert_eq!(overview["totals"]["residents"], 4);
    assert_eq!(
        overview["households_without_representative"],
        serde_json::json!(["H3"])
    );

    // Export round-trips.
    let csv = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/residents.csv",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let again: Value = import(&app, &f, &csv, false).await.json().await.unwrap();
    assert_eq!(again["before"], again["after"]);

    // The page shows the totals and quotes the law.
    let client = app.browser_login("organiser", "organiser-password").await;
    let html = client
        .get(app.url("/c/sanyijing/residents"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"total-adults\">3<"), "{html}");
    assert!(html.contains("居民会议由十八周岁以上的居民组成"));

    // Only organisers import; scrutineers read.
    app.create_user("scrutineer", "scrutineer password", false);
    app.api(
        Method::POST,
        "/api/v1/communities/sanyijing/roles",
        Some(&f.admin),
    )
    .json(&serde_json::json!({ "login": "scrutineer", "role": "scrutineer" }))
    .send()
    .await
    .unwrap();
    let s = app.token("scrutineer", "scrutineer password").await;
    let res = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/residents",
            Some(&s),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/residents/import",
            Some(&s),
        )
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.api(Method::GET, "/api/v1/communities/sanyijing/residents", None)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
