//! The owners' committee re-election (业委会换届选举) through the API, steps 1 to 5: the
//! preparation group, the announcement, nominations, the qualification review, the published
//! candidate list and its objections. Every role takes its own step; deadlines are enforced
//! with clear errors that store nothing; every step is a leaf of the election's event log,
//! whose signed checkpoint verifies against the leaves.

mod common;

use common::forum::{setup, Forum, BASE};
use reqwest::Method;
use serde_json::{json, Value};
use yishiting::crypto::note;
use yishiting::domain::merkle;

const DAY: i64 = 86_400;

async fn log(t: &Forum, id: i64) -> Value {
    // Public: no token.
    let res = t
        .app
        .api(Method::GET, &format!("{BASE}/elections/{id}/log"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn log_size(t: &Forum, id: i64) -> usize {
    log(t, id).await["leaves"].as_array().unwrap().len()
}

fn messages(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn announcement(t0: i64) -> Value {
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

#[tokio::test]
async fn an_election_runs_from_the_preparation_group_to_the_published_list() {
    let t = setup().await;
    let t0 = t.app.clock.now();
    let org = t.f.organiser.clone();

    // 1. The preparation group: organisers only; bad input names its problems.
    let group = json!({
        "title": "第三届业主委员会换届选举",
        "kind": "re_election",
        "members": [
            {"name": "张三", "role": "owner"},
            {"name": "王主任", "role": "street_office"},
            {"name": "李书记", "role": "residents_committee"}
        ]
    });
    t.json(
        Method::POST,
        "/elections",
        &t.zhang,
        Some(group.clone()),
        403,
    )
    .await;
    let bad = t
        .json(
            Method::POST,
            "/elections",
            &org,
            Some(json!({"title": " ", "kind": "coup", "members": []})),
            422,
        )
        .await;
    assert_eq!(messages(&bad), ["title", "kind", "members"], "{bad}");
    let e = t
        .json(Method::POST, "/elections", &org, Some(group), 201)
        .await;
    let id = e["election"]["id"].as_i64().unwrap();
    assert_eq!(e["step"], "preparation_group_formed");
    assert_eq!(e["members"].as_array().unwrap().len(), 3);
    assert_eq!(log_size(&t, id).await, 1);
    let path = |p: &str| format!("/elections/{id}{p}");

    // 2. The announcement: seats odd 5..11, term up to 5 years; a late re-election warns.
    let mut wrong = announcement(t0);
    wrong["seats"] = json!(6);
    wrong["term_years"] = json!(6);
    wrong["sitting_term_ends_at"] = Value::Null;
    let bad = t
        .json(Method::POST, &path("/announcement"), &org, Some(wrong), 422)
        .await;
    let fields = messages(&bad);
    for f in ["seats", "term_years", "sitting_term_ends_at"] {
        assert!(fields.iter().any(|x| x == f), "{f}: {bad}");
    }
    let mut short = announcement(t0);
    short["voting_opens_at"] = json!(t0 + 25 * DAY);
    let bad = t
        .json(Method::POST, &path("/announcement"), &org, Some(short), 422)
        .await;
    assert!(bad.to_string().contains("公示"), "{bad}");
    t.json(
        Method::POST,
        &path("/announcement"),
        &t.zhang,
        Some(announcement(t0)),
        403,
    )
    .await;
    assert_eq!(log_size(&t, id).await, 1, "refused steps record nothing");
    let a = t
        .json(
            Method::POST,
            &path("/announcement"),
            &org,
            Some(announcement(t0)),
            200,
        )
        .await;
    assert_eq!(a["election"]["step"], "announced");
    assert_eq!(a["warnings"][0]["message"], "election-warning-late-start");
    t.json(
        Method::POST,
        &path("/announcement"),
        &org,
        Some(announcement(t0)),
        409,
    )
    .await;

    // 3. Nominations: not before the window opens.
    let own = json!({"kind": "self", "statement": "愿意为大家服务"});
    let early = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.zhang,
            Some(own.clone()),
            409,
        )
        .await;
    assert_eq!(early["code"], "conflict");
    t.app.clock.advance(DAY);
    let got = t.json(Method::GET, &path(""), &t.zhang, None, 200).await;
    assert_eq!(got["step"], "nominating");
    let zhang = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.zhang,
            Some(own.clone()),
            201,
        )
        .await;
    let bad = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.zhang,
            Some(own.clone()),
            422,
        )
        .await;
    assert!(bad.to_string().contains("已经被提名"), "{bad}");
    // A co-signed nomination with its co-signers listed is a paper form an organiser
    // enters; an owner cannot list co-signers (they co-sign online themselves).
    let paper = json!({"kind": "co_signed", "candidate_owner_ref": "B1",
        "cosigner_owner_refs": ["A1", "D1"], "statement": "热心肠"});
    t.json(
        Method::POST,
        &path("/nominations"),
        &t.li,
        Some(paper.clone()),
        422,
    )
    .await;
    let bad = t
        .json(
            Method::POST,
            &path("/nominations"),
            &org,
            Some(json!({"kind": "co_signed", "candidate_owner_ref": "NOPE",
                "cosigner_owner_refs": ["A1", "ZZ"]})),
            422,
        )
        .await;
    let fields = messages(&bad);
    assert!(fields.contains(&"candidate_owner".to_owned()), "{bad}");
    let wang = t
        .json(Method::POST, &path("/nominations"), &org, Some(paper), 201)
        .await;
    let sun = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.sun,
            Some(own.clone()),
            201,
        )
        .await;
    // Residents and non-owners cannot nominate themselves.
    t.json(
        Method::POST,
        &path("/nominations"),
        &org,
        Some(own.clone()),
        403,
    )
    .await;

    // 4. The qualification review: after the window closes, a reason for every decision.
    let review = |cid: i64| format!("/elections/{id}/nominations/{cid}/review");
    let zid = zhang["id"].as_i64().unwrap();
    let accept = json!({"decision": "accepted", "reason": "符合候选人条件"});
    t.json(Method::POST, &review(zid), &org, Some(accept.clone()), 409)
        .await;
    t.app.clock.advance(7 * DAY);
    t.json(
        Method::POST,
        &path("/nominations"),
        &t.li,
        Some(own.clone()),
        409,
    )
    .await;
    t.json(
        Method::POST,
        &review(zid),
        &t.zhang,
        Some(accept.clone()),
        403,
    )
    .await;
    t.json(Method::POST, &review(zid), &org, Some(accept.clone()), 200)
        .await;
    t.json(
        Method::POST,
        &review(wang["id"].as_i64().unwrap()),
        &org,
        Some(accept.clone()),
        200,
    )
    .await;
    let sid = sun["id"].as_i64().unwrap();
    let bad = t
        .json(
            Method::POST,
            &review(sid),
            &org,
            Some(json!({"decision": "rejected", "reason": "  "})),
            422,
        )
        .await;
    assert_eq!(messages(&bad), ["reason"]);
    let rejected = t
        .json(
            Method::POST,
            &review(sid),
            &org,
            Some(json!({"decision": "rejected", "reason": "欠缴物业费，不符合候选人条件"})),
            200,
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["review_reason"], "欠缴物业费，不符合候选人条件");

    // 5. Publication: not before its date; then objections, answered once.
    let early = t
        .json(Method::POST, &path("/publication"), &org, None, 409)
        .await;
    assert!(early.to_string().contains("公示"), "{early}");
    t.app.clock.advance(3 * DAY);
    let published = t
        .json(Method::POST, &path("/publication"), &org, None, 200)
        .await;
    assert_eq!(published["step"], "published");
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
    let answer = format!("/elections/{id}/objections/{oid}/answer");
    t.json(
        Method::POST,
        &answer,
        &t.li,
        Some(json!({"answer": "x"})),
        403,
    )
    .await;
    t.json(
        Method::POST,
        &answer,
        &org,
        Some(json!({"answer": "经核实，王五符合条件。"})),
        200,
    )
    .await;
    t.json(
        Method::POST,
        &answer,
        &org,
        Some(json!({"answer": "再答一次"})),
        409,
    )
    .await;
    // After the publication period, objections to the list are closed.
    t.app.clock.advance(15 * DAY);
    t.json(
        Method::POST,
        &path("/objections"),
        &t.li,
        Some(json!({"text": "太晚了"})),
        409,
    )
    .await;

    // 6. Voting: the ballot was made from the list and announced at publication; the step
    // waits for the publication period and the voting date.
    let ballot = published["election"]["ballot_id"]
        .as_i64()
        .expect("a ballot");
    let b = t
        .json(Method::GET, &format!("/ballots/{ballot}"), &org, None, 200)
        .await;
    assert_eq!(b["status"], "announced", "{b}");
    assert_eq!(b["kind"], "committee_election");
    let q = &b["questions"][0];
    assert_eq!(q["max_choices"], 2, "at most the number of candidates");
    assert_eq!(q["options"][0]["label"], "张三");
    assert_eq!(q["options"][1]["label"], "王五");
    t.json(Method::POST, &path("/voting"), &org, None, 409)
        .await;
    t.app.clock.advance(DAY);
    t.json(Method::POST, &path("/voting"), &t.li, None, 403)
        .await;
    let voting = t
        .json(Method::POST, &path("/voting"), &org, None, 200)
        .await;
    assert_eq!(voting["step"], "voting");
    // Everyone but the developer votes; zhang and wang are approved by all, li picks one.
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
                &common::ballots::nonce(),
                &json!([{"question": "q1", "choices": picks}]),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // 7. The count: not before the ballot closes; then the preliminary result.
    t.json(Method::POST, &path("/count"), &org, None, 409).await;
    t.app.clock.advance(3 * DAY);
    let counted = t.json(Method::POST, &path("/count"), &org, None, 200).await;
    assert_eq!(counted["step"], "counted");
    // Certification waits for the objection period and for the ballot's certified record.
    let bad = t
        .json(Method::POST, &path("/certification"), &org, None, 409)
        .await;
    assert!(bad.to_string().contains("异议期"), "{bad}");
    t.app.clock.advance(8 * DAY);
    let bad = t
        .json(Method::POST, &path("/certification"), &org, None, 409)
        .await;
    assert!(bad.to_string().contains("监票人"), "{bad}");
    for action in ["finalise", "certify"] {
        let res = t.app.transition(&t.f, ballot, action, "").await;
        assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    }
    let certified = t
        .json(Method::POST, &path("/certification"), &org, None, 200)
        .await;
    assert_eq!(certified["step"], "certified");
    // 8. The first meeting: within 7 days, chair and vice-chair two elected members.
    t.app.clock.advance(2 * DAY);
    let meeting_at = t.app.clock.now() - 3600;
    let bad = t
        .json(
            Method::POST,
            &path("/first-meeting"),
            &org,
            Some(json!({"meeting_at": meeting_at, "chair": "o1", "vice_chair": "o1"})),
            422,
        )
        .await;
    assert_eq!(messages(&bad), ["vice_chair"]);
    t.json(
        Method::POST,
        &path("/first-meeting"),
        &org,
        Some(json!({"meeting_at": meeting_at + 7200, "chair": "o1", "vice_chair": "o2"})),
        422,
    )
    .await;
    let met = t
        .json(
            Method::POST,
            &path("/first-meeting"),
            &org,
            Some(json!({"meeting_at": meeting_at, "chair": "o1", "vice_chair": "o2"})),
            200,
        )
        .await;
    assert_eq!(met["step"], "first_meeting_held");
    // 9. The filing, within 30 days of the result.
    let filed = t
        .json(Method::POST, &path("/filing"), &org, None, 200)
        .await;
    assert_eq!(filed["step"], "filed");
    t.json(Method::POST, &path("/filing"), &org, None, 409)
        .await;

    // The event log: 1 group + 1 announcement + 3 nominations + 3 reviews + 1 list
    // + 1 objection + 1 answer + voting, count, result, first meeting, filing, each leaf in
    // canonical JSON; the checkpoint is signed by the
    // election's key and its root is the leaves' Merkle root.
    let l = log(&t, id).await;
    let leaves: Vec<&str> = l["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(leaves.len(), 16);
    let types: Vec<String> = leaves
        .iter()
        .map(|s| {
            serde_json::from_str::<Value>(s).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "preparation_group_formed",
            "announced",
            "nominated",
            "nominated",
            "nominated",
            "reviewed",
            "reviewed",
            "reviewed",
            "published",
            "objection_recorded",
            "objection_answered",
            "voting_opened",
            "counted",
            "certified",
            "first_meeting",
            "filed"
        ]
    );
    // Names are masked in the public record; the rejected candidate's reason is kept.
    assert!(
        !leaves[2].contains("张三") && leaves[2].contains("张*"),
        "{}",
        leaves[2]
    );
    assert!(leaves[7].contains("欠缴物业费"));
    let origin = l["origin"].as_str().unwrap();
    assert!(origin.ends_with(&format!("/sanyijing/elections/{id}")));
    let (name, _, key) = note::parse_verifier_key(l["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(name, origin);
    let body = note::open_note(l["checkpoint"].as_str().unwrap(), origin, &key).unwrap();
    let cp = note::parse_checkpoint_body(&body).unwrap();
    assert_eq!(cp.size, 16);
    let hashes: Vec<merkle::Hash> = leaves
        .iter()
        .map(|s| merkle::leaf_hash(s.as_bytes()))
        .collect();
    assert_eq!(cp.root, merkle::root_of(&hashes));
    // A forged leaf does not verify.
    let mut forged = hashes.clone();
    forged[7] = merkle::leaf_hash(leaves[7].replace("欠缴", "未欠").as_bytes());
    assert_ne!(cp.root, merkle::root_of(&forged));

    // The result names the elected members by their place on the list, and the count it
    // comes from by the SHA-256 of the ballot's signed final record.
    let result: Value = serde_json::from_str(leaves[13]).unwrap();
    assert_eq!(result["result"]["elected"], json!(["o1", "o2"]), "{result}");
    assert_eq!(result["result"]["vacant_seats"], 3);
    assert_eq!(result["ballot"], ballot);
    assert_eq!(result["tally_record_sha256"].as_str().unwrap().len(), 64);
    // The view shows the candidates with their review and the answered objection.
    let v = t.json(Method::GET, &path(""), &t.sun, None, 200).await;
    let statuses: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "accepted", "rejected"]);
    assert_eq!(v["candidates"][1]["cosigners"], 2);
    assert_eq!(v["objections"][0]["answer"], "经核实，王五符合条件。");

    // The pages: members read the election; the timetable is shown in Asia/Shanghai.
    let owner = t.app.browser_login("li", "owner-password").await;
    let list = owner
        .get(t.app.url("/c/sanyijing/elections"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("第三届业主委员会换届选举"), "{list}");
    let res = owner
        .get(t.app.url(&format!("/c/sanyijing/elections/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for needle in [
        "data-step=\"filed\"",
        "欠缴物业费，不符合候选人条件",
        "经核实，王五符合条件。",
        "2 位业主联名",
        &yishiting::clock::format_shanghai(t0 + 27 * 86_400),
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    t.app.create_user("outsider", "outsider-password", false);
    let outsider = t.app.browser_login("outsider", "outsider-password").await;
    let res = outsider
        .get(t.app.url(&format!("/c/sanyijing/elections/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn an_election_is_cancelled_only_with_a_reason() {
    let t = setup().await;
    let org = t.f.organiser.clone();
    let e = t
        .json(
            Method::POST,
            "/elections",
            &org,
            Some(
                json!({"title": "<script>alert(1)</script>首届", "kind": "first",
                "members": [{"name": "赵六", "role": "owner"}]}),
            ),
            201,
        )
        .await;
    let id = e["election"]["id"].as_i64().unwrap();
    let path = format!("/elections/{id}/cancellation");
    t.json(Method::POST, &path, &org, Some(json!({"reason": " "})), 409)
        .await;
    let v = t
        .json(
            Method::POST,
            &path,
            &org,
            Some(json!({"reason": "筹备组改组"})),
            200,
        )
        .await;
    assert_eq!(v["step"], "cancelled");
    t.json(
        Method::POST,
        &path,
        &org,
        Some(json!({"reason": "再取消一次"})),
        409,
    )
    .await;
    // Nothing more is recorded after a cancellation.
    let refused = t
        .json(
            Method::POST,
            &format!("/elections/{id}/objections"),
            &t.li,
            Some(json!({"text": "还有意见"})),
            409,
        )
        .await;
    assert!(refused.to_string().contains("已经结束"), "{refused}");
    assert_eq!(log_size(&t, id).await, 2);
    let html = t
        .app
        .browser_login("organiser", "organiser-password")
        .await
        .get(t.app.url(&format!("/c/sanyijing/elections/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;首届")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;首届"),
        "{html}"
    );
    assert!(html.contains("data-step=\"cancelled\""));
    // Only a --demo server lets anyone move its clock: here the route does not exist.
    let res = t
        .app
        .api(Method::POST, "/api/v1/demo/clock", Some(&t.f.admin))
        .json(&json!({"advance_seconds": 86_400}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Unknown elections are 404, in the API and in the public log.
    t.json(Method::GET, "/elections/999999", &org, None, 404)
        .await;
    let res = t
        .app
        .api(Method::GET, &format!("{BASE}/elections/999999/log"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn owners_co_sign_a_nomination_online_until_it_stands() {
    let t = setup().await;
    let t0 = t.app.clock.now();
    let org = t.f.organiser.clone();
    let e = t
        .json(
            Method::POST,
            "/elections",
            &org,
            Some(json!({"title": "换届选举", "kind": "re_election",
                "members": [{"name": "张三", "role": "owner"}]})),
            201,
        )
        .await;
    let id = e["election"]["id"].as_i64().unwrap();
    let path = |p: &str| format!("/elections/{id}{p}");
    t.json(
        Method::POST,
        &path("/announcement"),
        &org,
        Some(announcement(t0)),
        200,
    )
    .await;
    t.app.clock.advance(DAY);
    // li nominates 赵六 (C1, no account); the nominator is the first co-signer.
    let start = json!({"kind": "co_signed", "candidate_owner_ref": "C1", "statement": "热心"});
    let c = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.li,
            Some(start.clone()),
            201,
        )
        .await;
    assert_eq!(c["status"], "collecting");
    let cid = c["id"].as_i64().unwrap();
    // Co-signers sign themselves: listing them is refused; so is nominating oneself this way.
    let mut listed = start.clone();
    listed["candidate_owner_ref"] = json!("D1");
    listed["cosigner_owner_refs"] = json!(["A1"]);
    t.json(
        Method::POST,
        &path("/nominations"),
        &t.li,
        Some(listed),
        422,
    )
    .await;
    let mut own = start.clone();
    own["candidate_owner_ref"] = json!("A2");
    t.json(Method::POST, &path("/nominations"), &t.li, Some(own), 422)
        .await;
    let cosign = format!("/elections/{id}/nominations/{cid}/cosignatures");
    t.json(Method::POST, &cosign, &t.li, None, 409).await;
    t.json(Method::POST, &cosign, &org, None, 403).await;
    assert_eq!(
        log_size(&t, id).await,
        2,
        "collecting is not yet a nomination"
    );
    let done = t.json(Method::POST, &cosign, &t.wang, None, 201).await;
    assert_eq!(done["status"], "nominated");
    assert_eq!(done["cosigners"], 2);
    t.json(Method::POST, &cosign, &t.sun, None, 409).await;
    let l = log(&t, id).await;
    let last: Value = serde_json::from_str(l["leaves"][2].as_str().unwrap()).unwrap();
    assert_eq!(last["type"], "nominated");
    assert_eq!(last["kind"], "co_signed");
    assert_eq!(last["cosigners"], 2);
    let zhang = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.zhang,
            Some(json!({"kind": "self"})),
            201,
        )
        .await;
    // One that never gathers enough stays collecting: not reviewable, not listed.
    let other = t
        .json(
            Method::POST,
            &path("/nominations"),
            &t.sun,
            Some(json!({"kind": "co_signed", "candidate_owner_ref": "B1"})),
            201,
        )
        .await;
    t.app.clock.advance(7 * DAY);
    t.json(Method::POST, &cosign, &t.zhang, None, 409).await;
    let review = format!("/elections/{id}/nominations/{}/review", other["id"]);
    t.json(
        Method::POST,
        &review,
        &org,
        Some(json!({"decision": "accepted", "reason": "x"})),
        409,
    )
    .await;
    t.json(
        Method::POST,
        &format!("/elections/{id}/nominations/{cid}/review"),
        &org,
        Some(json!({"decision": "accepted", "reason": "符合条件"})),
        200,
    )
    .await;
    t.json(
        Method::POST,
        &format!("/elections/{id}/nominations/{}/review", zhang["id"]),
        &org,
        Some(json!({"decision": "rejected", "reason": "不符合条件"})),
        200,
    )
    .await;
    // The one still collecting does not hold up publication, but one accepted candidate is
    // not enough for a ballot.
    t.app.clock.advance(3 * DAY);
    let bad = t
        .json(Method::POST, &path("/publication"), &org, None, 409)
        .await;
    assert!(bad.to_string().contains("两名"), "{bad}");
    let v = t.json(Method::GET, &path(""), &org, None, 200).await;
    let statuses: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "rejected", "collecting"]);
    assert_eq!(v["candidates"][2]["cosigners"], 1);
}
