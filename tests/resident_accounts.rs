//! Resident accounts: organisers issue one-time codes to adult residents on the register; a
//! resident redeems one and takes part in the forum and building reports, but does not
//! co-sign or vote as an owner. Reissuing ends the old sessions; a resident taken off the
//! register is no longer a member.

mod common;

use common::forum::{setup, Forum, BASE};
use common::{csrf_of, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const HEADER: &str = "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\n";

fn register(with_zhou: bool) -> String {
    let year = yishiting::routes::residents::current_year();
    let mut csv = format!(
        "{HEADER}H1,张家,1号楼,101,R1,刘阿姨,{},是\nH1,张家,1号楼,101,R2,刘小,{},否\n",
        year - 70,
        year - 17
    );
    if with_zhou {
        csv.push_str(&format!("H2,周家,,,R3,周大伯,{},是\n", year - 18));
    }
    csv
}

async fn import_register(t: &Forum, csv: &str) {
    let res = t
        .app
        .api(
            Method::POST,
            &format!("{BASE}/residents/import?confirm=true"),
            Some(&t.f.organiser),
        )
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn issue(t: &Forum, token: &str, body: Value) -> (u16, Value) {
    let res = t
        .send(Method::POST, "/resident-codes", token, Some(body))
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn redeem(app: &TestApp, code: &str, login: &str) -> (u16, Value) {
    let res = app
        .api(Method::POST, "/api/v1/redeem", None)
        .json(&json!({ "code": code, "login": login, "display_name": "刘阿姨", "password": "resident-password" }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    let res = app
        .api(Method::GET, "/api/v1/me", Some(token))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn residents_redeem_codes_and_take_part_in_the_forum() {
    let t = setup().await;
    import_register(&t, &register(true)).await;

    // Only organisers issue; owners cannot.
    assert_eq!(issue(&t, &t.zhang, json!({})).await.0, 403);
    // Bad requests name the problem and issue nothing.
    let (status, p) = issue(&t, &t.f.organiser, json!({ "resident_refs": ["R2", "R9"] })).await;
    assert_eq!(status, 422, "{p}");
    let messages: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{p}");
    assert!(
        messages[0].contains("R2") && messages[1].contains("R9"),
        "{p}"
    );
    assert_eq!(
        issue(&t, &t.f.organiser, json!({ "resident_refs": [] }))
            .await
            .0,
        422
    );

    // Every adult (18 this year included) gets a code; the minor does not.
    let (status, slips) = issue(&t, &t.f.organiser, json!({})).await;
    assert_eq!(status, 200, "{slips}");
    let slips = slips.as_array().unwrap().clone();
    let refs: Vec<&str> = slips
        .iter()
        .map(|s| s["resident_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["R1", "R3"]);
    assert_eq!(slips[0]["rooms"], json!(["1号楼 101"]));
    assert_eq!(slips[0]["household"], "张家");
    // Asked again: nobody is left without an account or an unused code.
    assert_eq!(issue(&t, &t.f.organiser, json!({})).await.1, json!([]));

    // The resident redeems the code on the same endpoint as owners; it works once.
    let code = slips[0]["code"].as_str().unwrap().to_lowercase();
    let (status, v) = redeem(&t.app, &code, "liu-ayi").await;
    assert_eq!(status, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(redeem(&t.app, &code, "someone").await.0, 400);
    let (_, m) = me(&t.app, &token).await;
    assert_eq!(m["resident"], true);
    assert_eq!(m["community"]["slug"], "sanyijing");
    assert_eq!(m["units"], json!([]));

    // A member: raises a proposal, comments, files a building report.
    let id = t.propose(&token, "楼道里堆放杂物").await;
    t.comment(
        &token,
        id,
        json!({"body": "我家门口也有", "stance": "support"}),
        201,
    )
    .await;
    let buildings = {
        let mut conn = t.app.db.connect();
        let c = yishiting::db::communities::by_slug(&mut conn, "sanyijing")
            .unwrap()
            .unwrap();
        yishiting::db::roster::buildings(&mut conn, c.id).unwrap()
    };
    let b1 = buildings.iter().find(|b| b.name == "1号楼").unwrap().id;
    let r = t
        .json(
            Method::POST,
            "/building-reports",
            &token,
            Some(json!({ "building_id": b1, "category": "lighting", "title": "三楼灯坏了" })),
            201,
        )
        .await;
    assert_eq!(r["reporter"], "刘阿姨");

    // Not an owner: co-signing is refused and changes nothing; no organiser's pages either.
    let path = format!("/proposals/{id}/cosignatures");
    let refused = t.send(Method::POST, &path, &token, None).await.status();
    assert!(refused.is_client_error(), "{refused}");
    let detail = t
        .json(Method::GET, &format!("/proposals/{id}"), &token, None, 200)
        .await;
    assert_eq!(detail["cosigners"], 0, "{detail}");
    t.json(Method::GET, "/moderation-log", &token, None, 403)
        .await;
    assert_eq!(issue(&t, &token, json!({})).await.0, 403);

    // Reissuing ends the resident's sessions; the new code resets the same account.
    let (status, again) = issue(&t, &t.f.organiser, json!({ "resident_refs": ["R1"] })).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(me(&t.app, &token).await.0, 401);
    let code = again[0]["code"].as_str().unwrap();
    let (status, v) = redeem(&t.app, code, "liu-ayi-2").await;
    assert_eq!(status, 201, "{v}");
    let token2 = v["token"].as_str().unwrap().to_owned();
    let (_, m2) = me(&t.app, &token2).await;
    assert_eq!(m2["id"], m["id"], "the same account, not a second one");
    assert_eq!(m2["login"], "liu-ayi-2");

    // Taken off the register: no longer a member (the account remains, powerless).
    import_register(
        &t,
        &register(true).replace("H1,张家,1号楼,101,R1,刘阿姨", "H1,张家,1号楼,101,R4,刘阿姨"),
    )
    .await;
    let (_, m3) = me(&t.app, &token2).await;
    assert_eq!(m3["resident"], false);
    t.json(
        Method::POST,
        "/proposals",
        &token2,
        Some(json!({"title": "再提一个", "body": "内容", "category": "other"})),
        403,
    )
    .await;
}

#[tokio::test]
async fn residents_codes_are_issued_and_redeemed_through_the_pages() {
    let t = setup().await;
    import_register(&t, &register(false)).await;
    let organiser = t.app.browser_login("organiser", "organiser-password").await;
    let page = organiser
        .get(t.app.url("/c/sanyijing/residents"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"issue-resident-codes\""), "{page}");
    assert!(page.contains("id=\"reissue-R1\""));
    assert!(!page.contains("id=\"reissue-R2\""), "no code for a minor");
    // Without the CSRF token nothing is issued.
    let res = organiser
        .post(t.app.url("/c/sanyijing/residents/codes"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = organiser
        .post(t.app.url("/c/sanyijing/residents/codes"))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let slips = res.text().await.unwrap();
    assert!(slips.contains("刘阿姨"), "{slips}");
    let start = slips.find("class=\"invitation-code\">").unwrap() + 24;
    let code = slips[start..].split('<').next().unwrap().to_owned();

    // The resident activates the account on the redeem page and lands on their page.
    let browser = TestApp::new_client();
    let form = browser
        .get(t.app.url("/redeem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = browser
        .post(t.app.url("/redeem"))
        .form(&[
            ("code", code.as_str()),
            ("login", "liu-ayi"),
            ("display_name", "刘阿姨"),
            ("password", "resident-password"),
            ("password_confirm", "resident-password"),
            ("csrf", csrf_of(&form).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let me = browser
        .get(t.app.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(me.contains("id=\"me-resident\""), "{me}");
    assert!(me.contains("/c/sanyijing/proposals"));

    // The register now shows the account.
    let page = organiser
        .get(t.app.url("/c/sanyijing/residents"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已开通账户"), "{page}");
}

#[tokio::test]
async fn residents_vote_on_a_residents_convention_and_owners_do_not() {
    let t = setup().await;
    import_register(&t, &register(true)).await;
    let (status, slips) = issue(&t, &t.f.organiser, json!({})).await;
    assert_eq!(status, 200, "{slips}");
    let code = slips[0]["code"].as_str().unwrap().to_owned();
    let (status, v) = redeem(&t.app, &code, "liu-ayi").await;
    assert_eq!(status, 201, "{v}");
    let resident = v["token"].as_str().unwrap().to_owned();

    // A residents' convention ballot: the electorate is the adult residents (R1, R3).
    let def = json!({
        "title": "三义井社区居民公约", "kind": "residents_convention",
        "counting_rule": "convention_majority",
        "questions": [{"kind": "yes_no", "text": "是否同意通过居民公约？"}],
        "opens_at": 0, "closes_at": 0,
    });
    let id = t.app.open_ballot(&t.f, def).await;
    let cast = |token: String| {
        let app = &t.app;
        async move {
            app.api(
                Method::POST,
                &format!("{BASE}/ballots/{id}/casts"),
                Some(&token),
            )
            .json(&json!({ "nonce": common::ballots::nonce(),
                "answers": [{"question": "q1", "choices": ["agree"]}] }))
            .send()
            .await
            .unwrap()
        }
    };
    // The resident casts and gets a receipt; an owner who is not a resident is refused.
    let res = cast(resident.clone()).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = cast(t.zhang.clone()).await;
    assert_eq!(res.status(), 403);
    let roll = t.app.board_json("sanyijing", id, "roll").await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), 1, "{roll}");
    // The ballot's page offers the resident the vote form, without JavaScript.
    let client = t.app.browser_login("liu-ayi", "resident-password").await;
    let page = client
        .get(t.app.url(&format!("/c/sanyijing/ballots/{id}/vote")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("1号楼 101"));
    // On ordinary owners' ballots a resident is not a voter.
    let id = t
        .app
        .open_ballot(&t.f, common::ballots::definition(0, 0))
        .await;
    let res = t
        .app
        .api(
            Method::POST,
            &format!("{BASE}/ballots/{id}/casts"),
            Some(&resident),
        )
        .json(&json!({ "nonce": common::ballots::nonce(),
            "answers": common::ballots::answers("agree", &["o1"]) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
