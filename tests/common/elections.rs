//! An owners' committee election walked through the API from the preparation group to the
//! filing (the flow of tests/elections.rs without its refusals), for the tests that need a
//! whole election's record.
#![allow(dead_code)]

use reqwest::Method;
use serde_json::{json, Value};

use super::forum::{Forum, BASE};

pub const DAY: i64 = 86_400;

/// A whole election: its id and its ballot's.
pub struct Election {
    pub id: i64,
    pub ballot: i64,
}

/// The announcement tests/elections.rs posts: 5 seats and an alternate, nominations from
/// `t0 + 1 day` to `t0 + 8 days`, the list published from `t0 + 11 days` for 15 days,
/// voting from `t0 + 27 days` to `t0 + 30 days`.
pub fn announcement(t0: i64) -> Value {
    json!({
        "kind": "re_election",
        "seats": 5,
        "alternates": 1,
        "term_years": 5,
        "candidate_requirements": "本小区业主，遵守管理规约，热心公益。",
        "sitting_term_ends_at": t0 + 60 * DAY,
        "nomination_opens_at": t0 + DAY,
        "nomination_closes_at": t0 + 8 * DAY,
        "review_ends_at": t0 + 10 * DAY,
        "publication_starts_at": t0 + 11 * DAY,
        "publication_days": 15,
        "voting_opens_at": t0 + 27 * DAY,
        "voting_closes_at": t0 + 30 * DAY,
        "cosigners_required": 2
    })
}

/// The public log of an election (no token).
pub async fn election_log(t: &Forum, id: i64) -> Value {
    let res = t
        .app
        .api(Method::GET, &format!("{BASE}/elections/{id}/log"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Start an election: the preparation group.
pub async fn create_election(t: &Forum, title: &str) -> i64 {
    let e = t
        .json(
            Method::POST,
            "/elections",
            &t.f.organiser,
            Some(json!({
                "title": title,
                "kind": "re_election",
                "members": [
                    {"name": "张三", "role": "owner"},
                    {"name": "王主任", "role": "street_office"}
                ]
            })),
            201,
        )
        .await;
    e["election"]["id"].as_i64().unwrap()
}

/// Walk an election through all nine steps: two accepted candidates (zhang by himself,
/// wang on a co-signed paper form) and one rejected (sun), an objection to the list and its
/// answer, four owners voting, the count, the ballot finalised and certified, the result,
/// the first meeting and the filing. Moves the test clock about 44 days forward.
pub async fn run_whole_election(t: &Forum) -> Election {
    let t0 = t.app.clock.now();
    let org = t.f.organiser.clone();
    let id = create_election(t, "第三届业主委员会换届选举").await;
    let path = |p: &str| format!("/elections/{id}{p}");
    let ok = |v: &Value, step: &str| assert_eq!(v["step"], step, "{v}");
    t.json(
        Method::POST,
        &path("/announcement"),
        &org,
        Some(announcement(t0)),
        200,
    )
    .await;
    t.app.clock.advance(DAY);
    let own = json!({"kind": "self", "statement": "愿意为大家服务"});
    let zhang = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.zhang,
            Some(own.clone()),
            201,
        )
        .await;
    let paper = json!({"kind": "co_signed", "candidate_owner_ref": "B1",
        "cosigner_owner_refs": ["A1", "D1"], "statement": "热心肠"});
    let wang = t
        .json(Method::POST, &path("/nominations"), &org, Some(paper), 201)
        .await;
    let sun = t
        .json(Method::POST, &path("/nominations"), &t.sun, Some(own), 201)
        .await;
    t.app.clock.advance(7 * DAY);
    for (c, decision, reason) in [
        (&zhang, "accepted", "符合候选人条件"),
        (&wang, "accepted", "符合候选人条件"),
        (&sun, "rejected", "欠缴物业费，不符合候选人条件"),
    ] {
        let cid = c["id"].as_i64().unwrap();
        t.json(
            Method::POST,
            &path(&format!("/nominations/{cid}/review")),
            &org,
            Some(json!({"decision": decision, "reason": reason})),
            200,
        )
        .await;
    }
    t.app.clock.advance(3 * DAY);
    let published = t
        .json(Method::POST, &path("/publication"), &org, None, 200)
        .await;
    ok(&published, "published");
    let ballot = published["election"]["ballot_id"].as_i64().unwrap();
    let objection = t
        .json(
            Method::POST,
            &path("/objections"),
            &t.li,
            Some(json!({"text": "王五去年未参加业主大会", "candidate_id": wang["id"]})),
            201,
        )
        .await;
    let oid = objection["id"].as_i64().unwrap();
    t.json(
        Method::POST,
        &path(&format!("/objections/{oid}/answer")),
        &org,
        Some(json!({"answer": "经核实，王五符合条件。"})),
        200,
    )
    .await;
    t.app.clock.advance(16 * DAY);
    let voting = t
        .json(Method::POST, &path("/voting"), &org, None, 200)
        .await;
    ok(&voting, "voting");
    for (token, picks) in [
        (&t.zhang, vec!["o1", "o2"]),
        (&t.li, vec!["o1"]),
        (&t.wang, vec!["o1", "o2"]),
        (&t.sun, vec!["o1", "o2"]),
    ] {
        let res = t
            .app
            .cast(
                "sanyijing",
                ballot,
                token,
                &super::ballots::nonce(),
                &json!([{"question": "q1", "choices": picks}]),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    t.app.clock.advance(3 * DAY);
    let counted = t.json(Method::POST, &path("/count"), &org, None, 200).await;
    ok(&counted, "counted");
    t.app.clock.advance(8 * DAY);
    for action in ["finalise", "certify"] {
        let res = t.app.transition(&t.f, ballot, action, "").await;
        assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    }
    let certified = t
        .json(Method::POST, &path("/certification"), &org, None, 200)
        .await;
    ok(&certified, "certified");
    t.app.clock.advance(2 * DAY);
    let meeting_at = t.app.clock.now() - 3600;
    let met = t
        .json(
            Method::POST,
            &path("/first-meeting"),
            &org,
            Some(json!({"meeting_at": meeting_at, "chair": "o1", "vice_chair": "o2"})),
            200,
        )
        .await;
    ok(&met, "first_meeting_held");
    let filed = t
        .json(Method::POST, &path("/filing"), &org, None, 200)
        .await;
    ok(&filed, "filed");
    Election { id, ballot }
}
