//! Custom counting rules ("built from the same parts" as the presets): the API and the
//! editor accept a rule's thresholds and citation and refuse bad ones, storing nothing; the
//! manifest fixes the rule at announcement; the tally record counts by it; the offline
//! verifier agrees. Runs on SQLite, and on PostgreSQL when `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::ballots::*;
use common::{csrf_of, fixture, spawn_app, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::{json, Value};

const CITATION: &str = "本小区业主大会议事规则第十条：临时事项经全体业主人数十分之一以上参与表决即可举行，经参与表决面积、人数均过半数同意即为通过。";

fn custom_rule() -> Value {
    json!({
        "participation": {"area": null, "headcount": {"num": 1, "den": 10, "strict": false}},
        "pass": {
            "area": {"num": 1, "den": 2, "strict": true},
            "headcount": {"num": 1, "den": 2, "strict": true}
        },
        "citation": CITATION,
    })
}

fn custom_definition() -> Value {
    let mut d = definition(0, 0);
    d["counting_rule"] = json!("custom");
    d["custom_rule"] = custom_rule();
    d
}

async fn problem_fields(res: reqwest::Response) -> Vec<String> {
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn ballot_count(app: &common::TestApp, f: &common::Fixture) -> usize {
    let list: Value = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/ballots",
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array().unwrap().len()
}

#[tokio::test]
async fn a_custom_rule_is_fixed_in_the_manifest_and_counted_by() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    let t0 = app.clock.now();

    // Bad rules are refused with the field named, and nothing is created.
    let mut missing = custom_definition();
    missing["opens_at"] = json!(t0 + 16 * DAY);
    missing["closes_at"] = json!(t0 + 20 * DAY);
    missing.as_object_mut().unwrap().remove("custom_rule");
    let res = app.create_ballot(&f, &missing).await;
    assert_eq!(problem_fields(res).await, ["custom_rule"]);
    let mut unused = custom_definition();
    unused["opens_at"] = missing["opens_at"].clone();
    unused["closes_at"] = missing["closes_at"].clone();
    unused["counting_rule"] = json!("ordinary");
    let res = app.create_ballot(&f, &unused).await;
    assert_eq!(problem_fields(res).await, ["custom_rule"]);
    let mut bad = unused.clone();
    bad["counting_rule"] = json!("custom");
    bad["custom_rule"]["participation"]["headcount"] = json!({"num": 0, "den": 3, "strict": false});
    bad["custom_rule"]["pass"]["area"] = json!({"num": 4, "den": 3, "strict": false});
    bad["custom_rule"]["pass"]["headcount"] = json!({"num": 2, "den": 2, "strict": true});
    bad["custom_rule"]["citation"] = json!("  ");
    let res = app.create_ballot(&f, &bad).await;
    assert_eq!(
        problem_fields(res).await,
        [
            "custom_rule.participation.headcount",
            "custom_rule.pass.area",
            "custom_rule.pass.headcount",
            "custom_rule.citation"
        ]
    );
    assert_eq!(ballot_count(&app, &f).await, 0);

    // A sound custom rule: the API shows its parts, and the manifest fixes them.
    let id = app.open_ballot(&f, custom_definition()).await;
    let b = app.board_json("sanyijing", id, "").await;
    assert_eq!(b["counting_rule"], "custom");
    assert_eq!(b["rule"]["participation"], custom_rule()["participation"]);
    assert_eq!(b["rule"]["citation"], CITATION);
    let m = app.board_json("sanyijing", id, "manifest").await;
    assert_eq!(m["manifest"]["rule"]["id"], "custom");
    assert_eq!(m["manifest"]["rule"]["pass"], custom_rule()["pass"]);
    assert_eq!(m["manifest"]["rule"]["citation"], CITATION);

    // One owner of five or so takes part: under Art. 278 that is no quorum, under this
    // rule's one tenth of the headcount (area not counted) it is, and both questions pass.
    let t = app.token("zhang", "owner-password").await;
    let res = app
        .cast("sanyijing", id, &t, &nonce(), &answers("agree", &["o2"]))
        .await;
    assert_eq!(res.status(), 201);
    app.clock.advance(7 * DAY);
    let res = app.transition(&f, id, "close", "").await;
    assert!(res.status() == 200 || res.status() == 409);
    let rec = app.board_json("sanyijing", id, "tally/preliminary").await;
    let r = &rec["record"];
    assert_eq!(r["rule"], m["manifest"]["rule"]);
    assert_eq!(r["participation"]["met"], true, "{r}");
    assert_eq!(r["participation"]["area_met"], Value::Null, "{r}");
    assert_eq!(
        r["questions"][0]["outcome"],
        json!({"kind": "decided", "adopted": true})
    );
    assert_eq!(
        r["questions"][1]["outcome"],
        json!({"kind": "chosen", "options": ["o2"]})
    );
    // The result page quotes the rule the ballot was counted by.
    let html = app
        .get(&format!("/c/sanyijing/ballots/{id}/result"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("本小区业主大会议事规则第十条"));

    // The offline verifier recounts by the manifest's rule and agrees.
    let res = app.get(&format!("/api/v1/ballots/{id}/bundle")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let report = yishiting::verify::verify_archive(bytes.as_ref());
    let failures: Vec<_> = report.failures().collect();
    assert!(report.ok(), "{failures:?}");
}

#[tokio::test]
async fn the_editor_sets_and_clears_a_custom_rule_without_javascript() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let org = app.browser_login("organiser", "organiser-password").await;
    let html = org
        .get(app.url("/c/sanyijing/ballots/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("&#x2F;", "/");
    // The new-ballot form starts from the ordinary preset's parts.
    assert!(html.contains("id=\"custom-rule\""));
    assert!(html.contains("name=\"cr_participation_area\" value=\"2/3\""));
    let csrf = csrf_of(&html);
    let opens = yishiting::clock::input_shanghai(app.clock.now() + 16 * DAY);
    let closes = yishiting::clock::input_shanghai(app.clock.now() + 20 * DAY);
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("title", "临时事项表决".into()),
        ("kind", "assembly_matter".into()),
        ("privacy", "open".into()),
        ("counting_rule", "custom".into()),
        ("opens_at", opens),
        ("closes_at", closes),
        ("q1_kind", "yes_no".into()),
        ("q1_text", "是否同意？".into()),
        ("cr_participation_area", String::new()),
        ("cr_participation_area_cmp", "none".into()),
        ("cr_participation_headcount", "1/10".into()),
        ("cr_participation_headcount_cmp", "at_least".into()),
        ("cr_pass_area", "1/2".into()),
        ("cr_pass_area_cmp", "more_than".into()),
        ("cr_pass_headcount", "abc".into()),
        ("cr_pass_headcount_cmp", "more_than".into()),
        ("cr_citation", CITATION.into()),
    ];
    // An unreadable fraction comes back named, with what was typed; nothing is stored.
    let res = org
        .post(app.url("/c/sanyijing/ballots"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap().replace("&#x2F;", "/");
    assert!(html.contains("custom_rule.pass.headcount"), "{html}");
    assert!(html.contains("name=\"cr_participation_headcount\" value=\"1/10\""));
    assert_eq!(ballot_count(&app, &f).await, 0);
    // Full-width slashes are read too.
    form[15].1 = "1／2".into();
    let res = org
        .post(app.url("/c/sanyijing/ballots"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let id: i64 = res.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let b: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/communities/sanyijing/ballots/{id}"),
            Some(&f.organiser),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["rule"]["id"], "custom");
    assert_eq!(b["rule"]["participation"], custom_rule()["participation"]);
    assert_eq!(b["rule"]["pass"], custom_rule()["pass"]);
    assert_eq!(b["rule"]["citation"], CITATION);

    // The edit page shows the stored parts; switching back to a preset clears them.
    let edit = format!("/c/sanyijing/ballots/{id}/edit");
    let html = org
        .get(app.url(&edit))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("&#x2F;", "/");
    assert!(html.contains("name=\"cr_participation_headcount\" value=\"1/10\""));
    assert!(html.contains("<option value=\"none\" selected>"));
    form[0].1 = csrf_of(&html);
    form[4].1 = "ordinary".into();
    let res = org.post(app.url(&edit)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let mut conn = app.db.connect();
    let c = yishiting::db::communities::by_slug(&mut conn, "sanyijing")
        .unwrap()
        .unwrap();
    let row = yishiting::db::ballots::get(&mut conn, c.id, id)
        .unwrap()
        .unwrap();
    assert_eq!(row.custom_rule, None);
    assert!(row.rule().citation.contains("第二百七十八条"));
}
