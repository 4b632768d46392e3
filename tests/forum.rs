//! The forum (议事亭) over the API: proposals and their lifecycle, co-signing past the
//! extraordinary-assembly level, threaded comments, reports until auto-hide, moderation and
//! blocking, and bad input that stores nothing. Runs on SQLite, and on PostgreSQL when
//! `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::forum::{setup, BASE};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn proposals_co_signing_and_the_lifecycle() {
    let t = setup().await;
    // Members only.
    assert_eq!(t.app.get(&format!("{BASE}/proposals")).await.status(), 401);

    // Bad input is refused field by field, and nothing is stored.
    let fields = t
        .fields(
            Method::POST,
            "/proposals",
            &t.zhang,
            json!({"title": " ", "body": "长".repeat(20_001), "category": "noise", "building_id": 999}),
        )
        .await;
    assert_eq!(fields, ["title", "body", "category", "building_id"]);
    assert_eq!(t.count().await, 0);

    // A draft is the author's own until published.
    let draft = t
        .json(
            Method::POST,
            "/proposals",
            &t.zhang,
            Some(json!({"title": "楼道堆物", "body": "三单元楼道堆满杂物。", "category": "safety", "publish": false})),
            201,
        )
        .await;
    let did = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    t.json(Method::GET, &format!("/proposals/{did}"), &t.li, None, 404)
        .await;
    let v = t
        .json(
            Method::POST,
            &format!("/proposals/{did}/transitions"),
            &t.zhang,
            Some(json!({"action": "publish"})),
            200,
        )
        .await;
    assert_eq!(v["status"], "open");

    // The co-sign level: half of the area or of the owners.
    t.json(
        Method::PUT,
        "/forum-settings",
        &t.zhang,
        Some(json!({"cosign_level_num": 1, "cosign_level_den": 2, "report_hide_threshold": 3})),
        403,
    )
    .await;
    let bad = t
        .fields(
            Method::PUT,
            "/forum-settings",
            &t.f.organiser,
            json!({"cosign_level_num": 3, "cosign_level_den": 2, "report_hide_threshold": -1}),
        )
        .await;
    assert_eq!(bad, ["cosign_level", "report_hide_threshold"]);
    t.json(
        Method::PUT,
        "/forum-settings",
        &t.f.organiser,
        Some(json!({"cosign_level_num": 1, "cosign_level_den": 2, "report_hide_threshold": 3})),
        200,
    )
    .await;

    // Co-signing: owners only, once each; co-owners share one head.
    let id = t.propose(&t.zhang, "地下车库加装照明").await;
    let path = format!("/proposals/{id}/cosignatures");
    let c1 = t.json(Method::POST, &path, &t.zhang, None, 201).await;
    // The roster: four heads (A1+A2, B1, the developer, D1) and 523.45 m².
    assert_eq!(c1["base_headcount"], 4);
    assert_eq!(c1["base_area_centi"], 52_345);
    assert_eq!(
        (c1["headcount"].as_i64(), c1["area_centi"].as_i64()),
        (Some(1), Some(8_950))
    );
    assert_eq!(c1["level_reached"], false);
    t.json(Method::POST, &path, &t.zhang, None, 409).await;
    let c2 = t.json(Method::POST, &path, &t.li, None, 201).await;
    assert_eq!(c2["headcount"], 1, "a co-owner adds no head");
    assert_eq!(c2["cosigners"], 2);
    t.json(Method::POST, &path, &t.f.organiser, None, 409).await;
    // wang's two units take the area past one half: the level is reached, and marked once.
    let c3 = t.json(Method::POST, &path, &t.wang, None, 201).await;
    assert_eq!(c3["area_centi"], 8_950 + 21_210);
    assert_eq!(
        (c3["level_reached"].as_bool(), c3["reached_now"].as_bool()),
        (Some(true), Some(true))
    );
    let c4 = t.json(Method::POST, &path, &t.sun, None, 201).await;
    assert_eq!(c4["reached_now"], false);
    let p = t
        .json(Method::GET, &format!("/proposals/{id}"), &t.li, None, 200)
        .await;
    assert!(p["level_reached_at"].is_i64());
    assert_eq!(p["cosign_headcount_per_mille"], 750);
    let reached: Vec<&Value> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "level_reached")
        .collect();
    assert_eq!(reached.len(), 1);

    // The author edits; the history keeps every version; nobody else may edit.
    let edit = json!({"title": "地下车库加装照明和监控", "body": "晚上没有灯，也没有监控。", "category": "safety"});
    t.json(
        Method::PUT,
        &format!("/proposals/{id}"),
        &t.li,
        Some(edit.clone()),
        403,
    )
    .await;
    let v = t
        .json(
            Method::PUT,
            &format!("/proposals/{id}"),
            &t.zhang,
            Some(edit),
            200,
        )
        .await;
    assert_eq!(v["revision"], 2);
    let p = t
        .json(Method::GET, &format!("/proposals/{id}"), &t.li, None, 200)
        .await;
    assert_eq!(p["revisions"].as_array().unwrap().len(), 2);
    assert_eq!(p["revisions"][1]["title"], "地下车库加装照明");

    // Organisers review and answer (the response is required); the author may not.
    let step = |tok: String, action: &str, reason: &str| {
        let body = json!({"action": action, "reason": reason});
        let path = format!("/proposals/{id}/transitions");
        let t = &t;
        async move {
            t.send(Method::POST, &path, &tok, Some(body))
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(step(t.zhang.clone(), "review", "").await, 403);
    assert_eq!(step(t.f.organiser.clone(), "review", "").await, 200);
    assert_eq!(step(t.f.organiser.clone(), "answer", " ").await, 422);
    assert_eq!(step(t.f.organiser.clone(), "publish", "").await, 409);
    assert_eq!(
        step(t.f.organiser.clone(), "answer", "物业将于下周安装照明。").await,
        200
    );
    let p = t
        .json(Method::GET, &format!("/proposals/{id}"), &t.li, None, 200)
        .await;
    assert_eq!(p["status"], "answered");
    assert_eq!(p["response"], "物业将于下周安装照明。");
    // An answered proposal takes no more comments or co-signatures.
    t.comment(&t.li, id, json!({"body": "谢谢"}), 409).await;

    // Putting a proposal to a vote makes a prefilled draft ballot, linked both ways.
    let vid = t.propose(&t.wang, "更换小区物业服务企业").await;
    let v = t
        .json(
            Method::POST,
            &format!("/proposals/{vid}/transitions"),
            &t.f.organiser,
            Some(json!({"action": "put_to_vote"})),
            200,
        )
        .await;
    assert_eq!(v["status"], "put_to_vote");
    let bid = v["ballot_id"].as_i64().unwrap();
    let b = t
        .json(
            Method::GET,
            &format!("/ballots/{bid}"),
            &t.f.organiser,
            None,
            200,
        )
        .await;
    assert_eq!(b["status"], "draft");
    assert!(b["title"]
        .as_str()
        .unwrap()
        .contains("更换小区物业服务企业"));
    assert_eq!(b["counting_rule"], "ordinary");
    let board = t
        .app
        .browser_login("organiser", "organiser-password")
        .await
        .get(t.app.url(&format!("/c/sanyijing/ballots/{bid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        board.contains(&format!("/c/sanyijing/proposals/{vid}")),
        "the ballot links back"
    );

    // The author withdraws with a reason.
    let wid = t.propose(&t.sun, "禁止在楼道充电").await;
    let w = format!("/proposals/{wid}/transitions");
    t.json(
        Method::POST,
        &w,
        &t.sun,
        Some(json!({"action": "withdraw"})),
        422,
    )
    .await;
    let v = t
        .json(
            Method::POST,
            &w,
            &t.sun,
            Some(json!({"action": "withdraw", "reason": "物业已处理"})),
            200,
        )
        .await;
    assert_eq!(v["status"], "withdrawn");
    t.json(
        Method::POST,
        &format!("/proposals/{wid}/cosignatures"),
        &t.zhang,
        None,
        409,
    )
    .await;
}

#[tokio::test]
async fn threaded_comments_reports_and_moderation() {
    let t = setup().await;
    let id = t.propose(&t.zhang, "小区遛狗要牵绳").await;

    // A root comment with a stance; replies nest three deep and no deeper.
    let root = t
        .comment(
            &t.li,
            id,
            json!({"body": "支持，孩子很怕狗。", "stance": "support"}),
            201,
        )
        .await;
    assert_eq!(root["depth"], 1);
    assert_eq!(root["stance"], "support");
    let rid = root["id"].as_i64().unwrap();
    let r2 = t
        .comment(&t.wang, id, json!({"body": "同意", "parent_id": rid}), 201)
        .await;
    let r3 = t
        .comment(
            &t.sun,
            id,
            json!({"body": "+1", "parent_id": r2["id"]}),
            201,
        )
        .await;
    assert_eq!(r3["depth"], 3);
    assert_eq!(r3["path"], "00000001.00000001.00000001");
    let deep = t
        .comment(
            &t.li,
            id,
            json!({"body": "太深了", "parent_id": r3["id"]}),
            422,
        )
        .await;
    assert_eq!(deep["errors"][0]["field"], "parent_id");
    let stance = t
        .comment(
            &t.li,
            id,
            json!({"body": "回复", "parent_id": rid, "stance": "oppose"}),
            422,
        )
        .await;
    assert_eq!(stance["errors"][0]["field"], "stance");
    t.comment(&t.li, id, json!({"body": "  "}), 422).await;
    t.comment(&t.li, id, json!({"body": "长".repeat(5_001)}), 422)
        .await;
    t.comment(&t.li, id, json!({"body": "x", "parent_id": 999_999}), 422)
        .await;

    // 24 more root comments: pages of 20, sorted three ways.
    for i in 0..24 {
        t.comment(&t.wang, id, json!({"body": format!("第 {i} 条")}), 201)
            .await;
    }
    let page = |sort: &str, n: i64| {
        let path = format!("/proposals/{id}/comments?sort={sort}&page={n}");
        let t = &t;
        async move { t.json(Method::GET, &path, &t.zhang, None, 200).await }
    };
    let p1 = page("oldest", 1).await;
    assert_eq!(p1.as_array().unwrap().len(), 20);
    assert_eq!(p1[0]["id"], rid);
    assert_eq!(p1[0]["replies"].as_array().unwrap().len(), 2);
    assert_eq!(page("oldest", 2).await.as_array().unwrap().len(), 5);
    assert_eq!(page("newest", 1).await[0]["text"], "第 23 条");
    let mr = page("most_replied", 1).await;
    assert_eq!(
        (mr[0]["id"].as_i64(), mr[0]["reply_count"].as_i64()),
        (Some(rid), Some(2))
    );
    t.json(
        Method::GET,
        &format!("/proposals/{id}/comments?sort=loudest"),
        &t.zhang,
        None,
        422,
    )
    .await;

    // Edits keep their history; only the author edits or deletes.
    let cpath = format!("/proposals/{id}/comments/{rid}");
    t.json(
        Method::PUT,
        &cpath,
        &t.wang,
        Some(json!({"body": "改"})),
        403,
    )
    .await;
    let e = t
        .json(
            Method::PUT,
            &cpath,
            &t.li,
            Some(json!({"body": "支持，孩子和老人都怕狗。"})),
            200,
        )
        .await;
    assert_eq!(e["revision"], 2);
    let r2id = r2["id"].as_i64().unwrap();
    t.json(
        Method::DELETE,
        &format!("/proposals/{id}/comments/{r2id}"),
        &t.wang,
        None,
        204,
    )
    .await;
    let p1 = page("oldest", 1).await;
    assert_eq!(p1[0]["replies"][0]["status"], "deleted");
    assert_eq!(p1[0]["replies"][0]["text"], Value::Null);
    assert_eq!(
        p1[0]["replies"][0]["body"], "",
        "a deleted text is not served"
    );

    // Reports: once each; the third hides the comment pending review.
    let target = p1[1]["id"].as_i64().unwrap();
    let rpath = format!("/proposals/{id}/comments/{target}/reports");
    let bad = t
        .json(
            Method::POST,
            &rpath,
            &t.zhang,
            Some(json!({"reason": "ugly"})),
            422,
        )
        .await;
    assert_eq!(bad["errors"][0]["field"], "reason");
    for (tok, hidden) in [(&t.zhang, false), (&t.li, false), (&t.sun, true)] {
        let r = t
            .json(
                Method::POST,
                &rpath,
                tok,
                Some(json!({"reason": "spam", "note": "广告"})),
                201,
            )
            .await;
        assert_eq!(r["hidden"], hidden);
    }
    t.json(
        Method::POST,
        &rpath,
        &t.zhang,
        Some(json!({"reason": "spam"})),
        409,
    )
    .await;
    let p1 = page("oldest", 1).await;
    assert_eq!(p1[1]["status"], "hidden");
    assert_eq!(p1[1]["text"], Value::Null, "owners no longer see it");

    // Organisers restore it with a public reason; the log shows both steps; scrutineers read
    // the log, owners may not.
    let mpath = format!("/proposals/{id}/comments/{target}/moderation");
    t.json(
        Method::POST,
        &mpath,
        &t.zhang,
        Some(json!({"action": "restore", "reason": "x"})),
        403,
    )
    .await;
    t.json(
        Method::POST,
        &mpath,
        &t.f.organiser,
        Some(json!({"action": "restore", "reason": " "})),
        422,
    )
    .await;
    t.json(
        Method::POST,
        &mpath,
        &t.f.organiser,
        Some(json!({"action": "restore", "reason": "经核实不是广告"})),
        200,
    )
    .await;
    assert_eq!(page("oldest", 1).await[1]["status"], "visible");
    t.json(Method::GET, "/moderation-log", &t.zhang, None, 403)
        .await;
    t.app.create_user("jianpiao", "scrutineer-password", false);
    let res = t
        .app
        .api(Method::POST, &format!("{BASE}/roles"), Some(&t.f.admin))
        .json(&json!({ "login": "jianpiao", "role": "scrutineer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let scrutineer = t.app.token("jianpiao", "scrutineer-password").await;
    let log = t
        .json(Method::GET, "/moderation-log", &scrutineer, None, 200)
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["restore", "auto_hide"]);
    assert_eq!(log[0]["reason"], "经核实不是广告");

    // A blocked user can no longer post, but still co-signs.
    let sun_id = {
        let mut conn = t.app.db.connect();
        yishiting::db::accounts::user_by_login(&mut conn, "sun")
            .unwrap()
            .unwrap()
            .id
    };
    t.json(
        Method::PUT,
        &format!("/blocks/{sun_id}"),
        &t.f.organiser,
        Some(json!({"reason": "反复发广告"})),
        200,
    )
    .await;
    t.json(
        Method::PUT,
        &format!("/blocks/{sun_id}"),
        &t.f.organiser,
        Some(json!({"reason": "again"})),
        409,
    )
    .await;
    t.comment(&t.sun, id, json!({"body": "再发一条"}), 409)
        .await;
    t.json(
        Method::POST,
        &format!("/proposals/{id}/cosignatures"),
        &t.sun,
        None,
        201,
    )
    .await;
    t.json(
        Method::DELETE,
        &format!("/blocks/{sun_id}"),
        &t.f.organiser,
        Some(json!({"reason": "已道歉"})),
        200,
    )
    .await;
    t.comment(&t.sun, id, json!({"body": "抱歉"}), 201).await;
}
