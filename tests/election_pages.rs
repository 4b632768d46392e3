//! The election's pages without JavaScript: every step through its plain HTML form with a
//! CSRF token, each form shown only to the role that may use it, refusals shown on the page
//! with what was typed (422 with the problems, 409 with the reason), the prints tied to the
//! signed log by its hashes, and the public page without login, names masked.

mod common;

#[path = "common/pages.rs"]
mod pages;

use common::forum::{setup, Forum, BASE};
use common::TestApp;
use pages::{esc, has, Browser};
use reqwest::Method;
use serde_json::{json, Value};
use yishiting::clock::input_shanghai;
use yishiting::domain::merkle;

const DAY: i64 = 86_400;

async fn view(t: &Forum, id: i64) -> Value {
    t.json(
        Method::GET,
        &format!("/elections/{id}"),
        &t.f.organiser,
        None,
        200,
    )
    .await
}

async fn candidate_id(t: &Forum, id: i64, name: &str) -> String {
    view(t, id).await["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no candidate {name}"))["id"]
        .to_string()
}

#[tokio::test]
async fn every_step_runs_through_its_form_for_its_role() {
    let t = setup().await;
    let app = &t.app;
    let org = Browser::login(app, "organiser", "organiser-password").await;
    let zhang = Browser::login(app, "zhang", "owner-password").await;
    let li = Browser::login(app, "li", "owner-password").await;
    let sun = Browser::login(app, "sun", "owner-password").await;

    // 1. The preparation group: only organisers see and use the form.
    assert!(has(
        &org.get(app, "/c/sanyijing/elections").await.html,
        "id=\"new-election\""
    ));
    assert!(!has(
        &zhang.get(app, "/c/sanyijing/elections").await.html,
        "id=\"new-election\""
    ));
    assert_eq!(
        zhang.get(app, "/c/sanyijing/elections/new").await.status,
        403
    );
    let new = org.get(app, "/c/sanyijing/elections/new").await;
    assert_eq!(new.status, 200);
    assert!(has(&new.html, "id=\"member-7-name\""));
    // Problems are listed with their labels and link to their inputs; what was typed stays.
    let bad = org
        .post(
            app,
            "/c/sanyijing/elections",
            &[
                ("title", "第三届业主委员会换届选举"),
                ("kind", "re_election"),
                ("member-0-name", ""),
                ("member-0-role", "owner"),
                ("member-1-name", "张三"),
                ("member-1-role", "chairman"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(has(&bad.html, "id=\"form-problems\""), "{}", bad.html);
    assert!(has(&bad.html, "href=\"#member-1-role\""), "{}", bad.html);
    assert!(has(&bad.html, "成员 2 代表"), "{}", bad.html);
    assert!(has(&bad.html, "value=\"第三届业主委员会换届选举\""));
    assert!(has(&bad.html, "value=\"张三\""));
    let created = org
        .post(
            app,
            "/c/sanyijing/elections",
            &[
                ("title", "第三届业主委员会换届选举"),
                ("kind", "re_election"),
                ("member-0-name", "张三"),
                ("member-0-role", "owner"),
                ("member-1-name", ""),
                ("member-1-role", "owner"),
                ("member-2-name", "王主任"),
                ("member-2-role", "street_office"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.html);
    let id: i64 = created
        .location
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let base = format!("/c/sanyijing/elections/{id}");
    let path = |p: &str| format!("{base}{p}");
    let zhang_refused = zhang
        .post(
            app,
            "/c/sanyijing/elections",
            &[("title", "x"), ("kind", "first")],
        )
        .await;
    assert_eq!(zhang_refused.status, 403);

    // 2. The announcement, in Beijing time; the organiser's page links to its form.
    let page = org.get(app, &base).await;
    assert!(has(&page.html, "id=\"announce-link\""));
    assert!(has(&page.html, "id=\"cancel-form\""));
    let owner_page = zhang.get(app, &base).await.html;
    assert!(!has(&owner_page, "id=\"announce-link\"") && !has(&owner_page, "id=\"cancel-form\""));
    assert_eq!(zhang.get(app, &path("/announcement")).await.status, 403);
    let form = org.get(app, &path("/announcement")).await;
    assert_eq!(form.status, 200);
    assert!(has(&form.html, "type=\"datetime-local\""));
    let t0 = app.clock.now();
    let at = |d: i64| input_shanghai(t0 + d);
    let (n_open, n_close, review, publication, v_open, v_close, sitting) = (
        at(DAY),
        at(8 * DAY),
        at(10 * DAY),
        at(11 * DAY),
        at(27 * DAY),
        at(30 * DAY),
        at(60 * DAY),
    );
    let announcement = |seats: &'static str, voting: String| {
        vec![
            ("seats", seats.to_owned()),
            ("alternates", "1".into()),
            ("term_years", "5".into()),
            (
                "candidate_requirements",
                "本小区业主，遵守管理规约，热心公益。".into(),
            ),
            ("sitting_term_ends_at", sitting.clone()),
            ("nomination_opens_at", n_open.clone()),
            ("nomination_closes_at", n_close.clone()),
            ("review_ends_at", review.clone()),
            ("publication_starts_at", publication.clone()),
            ("publication_days", "15".into()),
            ("voting_opens_at", voting),
            ("voting_closes_at", v_close.clone()),
            ("objection_days", "7".into()),
            ("cosigners_required", "2".into()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| {
        let org = &org;
        let p = path("/announcement");
        async move {
            let refs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
            org.post(app, &p, &refs).await
        }
    };
    let bad = send(announcement("6", "明天".into())).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(has(&bad.html, "href=\"#voting_opens_at\""), "{}", bad.html);
    assert!(has(&bad.html, "value=\"明天\""), "what was typed stays");
    let bad = send(announcement("6", v_open.clone())).await;
    assert_eq!(bad.status, 422);
    assert!(has(&bad.html, "href=\"#seats\""), "{}", bad.html);
    assert!(
        has(&bad.html, "五至十一人单数") || has(&bad.html, "单数"),
        "{}",
        bad.html
    );
    assert!(has(&bad.html, "本小区业主，遵守管理规约，热心公益。"));
    let done = send(announcement("5", v_open.clone())).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let page = org.get(app, &base).await.html;
    assert!(has(&page, "data-step=\"announced\""), "{page}");
    assert!(has(&page, "三个月"), "the late start is flagged: {page}");
    assert!(has(&page, "id=\"print-announcement\""));
    // Posting it again is refused with the reason, the typed form kept.
    let again = send(announcement("5", v_open.clone())).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(has(&again.html, "id=\"form-conflict\""));

    // 3. Nominations: not before the window opens (409 on the page, the statement kept).
    let early = zhang
        .post(
            app,
            &path("/nominations"),
            &[("kind", "self"), ("statement", "愿意为大家服务")],
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.html);
    assert!(has(&early.html, "提名"), "{}", early.html);
    assert!(has(&early.html, "id=\"form-refused-top\""));
    app.clock.advance(DAY);
    let page = zhang.get(app, &base).await.html;
    assert!(has(&page, "id=\"nominate-form\"") && !has(&page, "id=\"paper-form\""));
    assert!(has(&org.get(app, &base).await.html, "id=\"paper-form\""));
    zhang
        .ok(
            app,
            &path("/nominations"),
            &[("kind", "self"), ("statement", "愿意为大家服务")],
        )
        .await;
    assert!(!has(
        &zhang.get(app, &base).await.html,
        "id=\"nominate-form\""
    ));
    sun.ok(app, &path("/nominations"), &[("kind", "self")])
        .await;
    // A paper nomination (co-signers listed): organisers only, an owner's is refused (owners
    // co-sign online themselves); too few co-signers is named, the input kept.
    let paper = |cosigners: &'static str| {
        [
            ("kind", "co_signed"),
            ("candidate_owner_ref", "B1"),
            ("cosigner_owner_refs", cosigners),
            ("statement", "热心肠"),
        ]
    };
    assert_eq!(
        li.post(app, &path("/nominations"), &paper("A1\nD1"))
            .await
            .status,
        422
    );
    let bad = org.post(app, &path("/nominations"), &paper("A1、ZZ")).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        has(&bad.html, "href=\"#paper-cosigner_owner_refs\""),
        "{}",
        bad.html
    );
    assert!(has(&bad.html, "A1、ZZ"));
    org.ok(app, &path("/nominations"), &paper("A1\nD1")).await;

    // 4. The review: a form per nomination, a reason for every decision.
    app.clock.advance(7 * DAY);
    let (zid, wid, sid) = (
        candidate_id(&t, id, "张三").await,
        candidate_id(&t, id, "王五").await,
        candidate_id(&t, id, "孙七").await,
    );
    let page = org.get(app, &base).await.html;
    for c in [&zid, &wid, &sid] {
        assert!(has(&page, &format!("id=\"review-{c}-form\"")), "{page}");
    }
    assert!(!has(&zhang.get(app, &base).await.html, "review-"));
    let review = |c: &str| path(&format!("/nominations/{c}/review"));
    let bad = org
        .post(
            app,
            &review(&sid),
            &[("decision", "rejected"), ("reason", " ")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        has(&bad.html, &format!("href=\"#review-{sid}-reason\"")),
        "{}",
        bad.html
    );
    assert_eq!(
        zhang
            .post(
                app,
                &review(&zid),
                &[("decision", "accepted"), ("reason", "x")]
            )
            .await
            .status,
        403
    );
    for c in [&zid, &wid] {
        org.ok(
            app,
            &review(c),
            &[("decision", "accepted"), ("reason", "符合候选人条件")],
        )
        .await;
    }
    org.ok(
        app,
        &review(&sid),
        &[
            ("decision", "rejected"),
            ("reason", "欠缴物业费，不符合候选人条件"),
        ],
    )
    .await;

    // 5. Publication: refused before its date; objections and answers through forms.
    let early = org
        .post(
            app,
            &path("/publication"),
            &[("cosignatures_required", "0")],
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.html);
    assert!(has(&early.html, "公示"));
    app.clock.advance(3 * DAY);
    org.ok(
        app,
        &path("/publication"),
        &[("cosignatures_required", "0")],
    )
    .await;
    let page = li.get(app, &base).await.html;
    assert!(has(&page, "data-step=\"published\"") && has(&page, "id=\"object-form\""));
    assert!(has(&page, "id=\"print-candidates\""));
    let bad = li
        .post(
            app,
            &path("/objections"),
            &[("text", ""), ("candidate_id", &wid)],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(has(&bad.html, "href=\"#object-text\""));
    assert!(
        has(&bad.html, &format!("<option value=\"{wid}\" selected>")),
        "{}",
        bad.html
    );
    li.ok(
        app,
        &path("/objections"),
        &[("text", "王五去年未参加业主大会"), ("candidate_id", &wid)],
    )
    .await;
    let oid = view(&t, id).await["objections"][0]["id"].to_string();
    assert!(!has(&li.get(app, &base).await.html, "answer-"));
    let answer = path(&format!("/objections/{oid}/answer"));
    assert_eq!(li.post(app, &answer, &[("answer", "x")]).await.status, 403);
    org.ok(app, &answer, &[("answer", "经核实，王五符合条件。")])
        .await;
    let twice = org.post(app, &answer, &[("answer", "再答一次")]).await;
    assert_eq!(twice.status, 409);

    // 6. Voting: recorded once the publication period has run and the ballot is open.
    let early = org.post(app, &path("/voting"), &[]).await;
    assert_eq!(early.status, 409, "{}", early.html);
    app.clock.advance(16 * DAY);
    org.ok(app, &path("/voting"), &[]).await;
    let page = zhang.get(app, &base).await.html;
    assert!(has(&page, "data-step=\"voting\"") && has(&page, "id=\"vote-link\""));
    let ballot = view(&t, id).await["election"]["ballot_id"]
        .as_i64()
        .unwrap();
    for (token, picks) in [
        (&t.zhang, vec!["o1", "o2"]),
        (&t.wang, vec!["o1", "o2"]),
        (&t.sun, vec!["o1"]),
    ] {
        let res = app
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

    // 7. The count, an objection to it, and the final result.
    assert_eq!(org.post(app, &path("/count"), &[]).await.status, 409);
    app.clock.advance(3 * DAY);
    org.ok(app, &path("/count"), &[]).await;
    let page = li.get(app, &base).await.html;
    assert!(has(&page, "id=\"results\"") && has(&page, "id=\"objection-period-notice\""));
    assert!(has(&page, "id=\"print-result\""));
    li.ok(app, &path("/objections"), &[("text", "请公布计票明细")])
        .await;
    let oid = view(&t, id).await["objections"][1]["id"].to_string();
    org.ok(
        app,
        &path(&format!("/objections/{oid}/answer")),
        &[("answer", "明细见表决公示栏。")],
    )
    .await;
    let early = org.post(app, &path("/certification"), &[]).await;
    assert_eq!(early.status, 409);
    assert!(has(&early.html, "异议期"), "{}", early.html);
    app.clock.advance(8 * DAY);
    let waiting = org.post(app, &path("/certification"), &[]).await;
    assert_eq!(waiting.status, 409);
    assert!(has(&waiting.html, "监票人"), "{}", waiting.html);
    for action in ["finalise", "certify"] {
        let res = app.transition(&t.f, ballot, action, "").await;
        assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    }
    org.ok(app, &path("/certification"), &[]).await;

    // 8. The first meeting: a chair and a vice-chair from the elected.
    app.clock.advance(2 * DAY);
    let page = org.get(app, &base).await.html;
    assert!(has(&page, "id=\"meeting-form\"") && has(&page, "<option value=\"o2\">王五</option>"));
    let when = input_shanghai(app.clock.now() - 3600);
    let bad = org
        .post(
            app,
            &path("/first-meeting"),
            &[("meeting_at", &when), ("chair", "o1"), ("vice_chair", "o1")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(has(&bad.html, "href=\"#meeting-vice_chair\""));
    assert!(has(&bad.html, &format!("value=\"{when}\"")));
    org.ok(
        app,
        &path("/first-meeting"),
        &[("meeting_at", &when), ("chair", "o1"), ("vice_chair", "o2")],
    )
    .await;

    // 9. The filing.
    org.ok(app, &path("/filing"), &[]).await;
    let page = zhang.get(app, &base).await.html;
    assert!(has(&page, "data-step=\"filed\"") && has(&page, "data-on-time=\"true\""));
    assert!(has(&page, "id=\"meeting-chair\">张三"));

    // The prints: each tied to its leaf of the signed log, with the QR code and the hashes.
    let log: Value = app
        .api(Method::GET, &format!("{BASE}/elections/{id}/log"), None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let leaves: Vec<String> = log["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    let leaf_hash = |kind: &str| {
        let leaf = leaves
            .iter()
            .rev()
            .find(|l| serde_json::from_str::<Value>(l).unwrap()["type"] == kind)
            .unwrap();
        merkle::to_hex(&merkle::leaf_hash(leaf.as_bytes()))
    };
    let hashes: Vec<merkle::Hash> = leaves
        .iter()
        .map(|l| merkle::leaf_hash(l.as_bytes()))
        .collect();
    let root = merkle::to_hex(&merkle::root_of(&hashes));
    let certified: Value = serde_json::from_str(
        leaves
            .iter()
            .find(|l| l.contains("\"type\":\"certified\""))
            .unwrap(),
    )
    .unwrap();
    let tally = certified["tally_record_sha256"].as_str().unwrap();
    for (doc, kinds) in [
        ("announcement", vec!["announced"]),
        ("candidates", vec!["published"]),
        ("result", vec!["certified"]),
        (
            "filing",
            vec![
                "announced",
                "published",
                "certified",
                "first_meeting",
                "filed",
            ],
        ),
    ] {
        let p = li.get(app, &path(&format!("/print/{doc}"))).await;
        assert_eq!(p.status, 200, "{doc}: {}", p.html);
        for kind in kinds {
            assert!(has(&p.html, &leaf_hash(kind)), "{doc}: leaf {kind}");
        }
        assert!(has(&p.html, &root), "{doc}: the checkpoint's root");
        assert!(has(&p.html, &esc(log["origin"].as_str().unwrap())), "{doc}");
        assert!(has(&p.html, "<svg"), "{doc}: a QR code");
        assert!(has(
            &p.html,
            &esc(&format!("/c/sanyijing/elections/{id}/public"))
        ));
        if doc == "result" || doc == "filing" {
            assert!(has(&p.html, tally), "{doc}: the tally record's SHA-256");
        }
    }
    let filing = li.get(app, &path("/print/filing")).await.html;
    assert!(has(&filing, "id=\"print-checkpoint\""));
    assert!(has(&filing, &esc(log["verifier_key"].as_str().unwrap())));
    assert!(has(&filing, "张三") && has(&filing, "业主委员会选举备案材料"));
    assert_eq!(li.get(app, &path("/print/nothing")).await.status, 404);
    app.create_user("outsider", "outsider-password", false);
    let outsider = Browser::login(app, "outsider", "outsider-password").await;
    assert_eq!(outsider.get(app, &path("/print/result")).await.status, 403);
    assert_eq!(
        outsider
            .post(app, &path("/objections"), &[("text", "x")])
            .await
            .status,
        403
    );

    // The public page: no login, names masked as in the log, no forms.
    let res = TestApp::new_client()
        .get(app.url(&path("/public")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let public = res.text().await.unwrap();
    assert!(has(&public, "data-step=\"filed\""));
    assert!(has(&public, "张*") && has(&public, "王*"), "{public}");
    // (Objections and answers are public as written, as in the log.)
    assert!(!has(&public, "张三") && !has(&public, "孙七"), "{public}");
    assert!(!has(&public, "<form"), "{public}");
    assert!(has(&public, &root));
    // Every page and print in English too (the choice stays with li's account).
    for p in [
        "",
        "/public",
        "/print/announcement",
        "/print/candidates",
        "/print/result",
        "/print/filing",
    ] {
        let page = li.get(app, &format!("{}?lang=en", path(p))).await;
        assert_eq!(page.status, 200, "{p}: {}", page.html);
        assert!(has(&page.html, "lang=\"en\""), "{p}");
    }
    let en = li.get(app, &path("/print/filing")).await.html;
    assert!(has(&en, "filing package") && has(&en, "Root hash"), "{en}");
    // A form without its CSRF token is refused.
    let res = li
        .client
        .post(app.url(&path("/objections")))
        .form(&[("text", "no token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn an_election_is_cancelled_through_its_form_only_with_a_reason() {
    let t = setup().await;
    let app = &t.app;
    let org = Browser::login(app, "organiser", "organiser-password").await;
    let created = org
        .post(
            app,
            "/c/sanyijing/elections",
            &[
                ("title", "<script>alert(1)</script>首届"),
                ("kind", "first"),
                ("member-0-name", "赵六"),
                ("member-0-role", "developer"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.html);
    let base = created.location.clone();
    // Prints of steps not reached are refused with the reason.
    let p = org.get(app, &format!("{base}/print/result")).await;
    assert_eq!(p.status, 409);
    assert!(has(&p.html, "还不能打印"), "{}", p.html);
    let bad = org
        .post(app, &format!("{base}/cancellation"), &[("reason", "  ")])
        .await;
    assert_eq!(bad.status, 409, "{}", bad.html);
    assert!(has(&bad.html, "id=\"form-conflict\"") && has(&bad.html, "理由"));
    assert!(has(
        &bad.html,
        "<details class=\"step-form\" id=\"cancel-form\" open>"
    ));
    // Its language switch leads to the election's page, not to the form's POST address.
    let switch = format!("href=\"{}?lang=en\"", esc(&base));
    assert!(has(&bad.html, &switch), "{}", bad.html);
    org.ok(
        app,
        &format!("{base}/cancellation"),
        &[("reason", "筹备组改组")],
    )
    .await;
    let page = org.get(app, &base).await.html;
    assert!(has(&page, "data-step=\"cancelled\"") && has(&page, "筹备组改组"));
    assert!(!has(&page, "id=\"cancel-form\""));
    assert!(!has(&page, "<script>alert(1)"));
    let public = TestApp::new_client()
        .get(app.url(&format!("{base}/public")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(has(&public, "id=\"election-cancelled\"") && !has(&public, "<script>alert(1)"));
    // In English too.
    let en = org.get(app, &format!("{base}?lang=en")).await.html;
    assert!(has(&en, "Cancelled on"), "{en}");
}

/// The co-signed nomination `cid` as the API shows it: its status and its co-signers.
async fn nomination(t: &Forum, id: i64, cid: i64) -> (String, i64) {
    let v = view(t, id).await;
    let c = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == cid)
        .unwrap_or_else(|| panic!("no nomination {cid}: {v}"))
        .clone();
    (
        c["status"].as_str().unwrap().to_owned(),
        c["cosigners"].as_i64().unwrap(),
    )
}

async fn leaves(t: &Forum, id: i64) -> usize {
    common::elections::election_log(t, id).await["leaves"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn owners_recommend_a_fellow_owner_and_cosign_it_online() {
    let t = setup().await;
    let app = &t.app;
    let org = Browser::login(app, "organiser", "organiser-password").await;
    let zhang = Browser::login(app, "zhang", "owner-password").await;
    let li = Browser::login(app, "li", "owner-password").await;
    let wang = Browser::login(app, "wang", "owner-password").await;
    let sun = Browser::login(app, "sun", "owner-password").await;
    let t0 = app.clock.now();
    let id = common::elections::create_election(&t, "第三届业主委员会换届选举").await;
    let mut a = common::elections::announcement(t0);
    a["cosigners_required"] = json!(3);
    t.json(
        Method::POST,
        &format!("/elections/{id}/announcement"),
        &t.f.organiser,
        Some(a),
        200,
    )
    .await;
    let base = format!("/c/sanyijing/elections/{id}");
    let path = |p: &str| format!("{base}{p}");
    let start = path("/nominations/online");
    let recommend = |r: &'static str| [("candidate_owner_ref", r), ("statement", "热心公益")];

    // Not before the nomination window opens: the reason on the page, the form kept.
    let early = li.post(app, &start, &recommend("C1")).await;
    assert_eq!(early.status, 409, "{}", early.html);
    assert!(has(&early.html, "id=\"form-conflict\"") && has(&early.html, "data-form=\"online\""));
    assert!(has(&early.html, "value=\"C1\"") && has(&early.html, "热心公益"));
    assert_eq!(view(&t, id).await["candidates"], json!([]));

    // In the window: owners see the form with their own reference; organisers enter paper
    // nominations instead.
    app.clock.advance(DAY);
    let page = li.get(app, &base).await.html;
    assert!(has(&page, "id=\"online-form\"") && has(&page, "href=\"#online-form\""));
    assert!(has(&page, "您的业主编号是 A2"), "{page}");
    let page = org.get(app, &base).await.html;
    assert!(!has(&page, "id=\"online-form\"") && has(&page, "id=\"paper-form\""));
    // Recommending oneself or someone not on the roster is named at the reference.
    for (r, why) in [("A2", "自荐"), ("ZZ", "业主名册")] {
        let bad = li.post(app, &start, &recommend(r)).await;
        assert_eq!(bad.status, 422, "{r}: {}", bad.html);
        assert!(
            has(&bad.html, "href=\"#online-candidate_owner_ref\"") && has(&bad.html, why),
            "{r}: {}",
            bad.html
        );
        assert!(has(&bad.html, &format!("value=\"{r}\"")));
    }
    assert_eq!(view(&t, id).await["candidates"], json!([]));

    // li recommends 赵六 (C1): li is the first co-signer; it is not yet a nomination.
    let started = li.post(app, &start, &recommend("C1")).await;
    assert_eq!(started.status, 303, "{}", started.html);
    assert!(
        started.location.ends_with("#collecting"),
        "{}",
        started.location
    );
    let cid = view(&t, id).await["candidates"][0]["id"].as_i64().unwrap();
    assert_eq!(nomination(&t, id, cid).await, ("collecting".into(), 1));
    let log_size = leaves(&t, id).await;
    let card = format!("id=\"collecting-{cid}\" data-cosigners=\"1\" data-required=\"3\"");
    let button = format!("id=\"cosign-{cid}-submit\"");
    let page = li.get(app, &base).await.html;
    assert!(
        has(&page, &card) && has(&page, "data-signed=\"true\""),
        "{page}"
    );
    assert!(!has(&page, &button) && has(&page, "您已联署"));
    assert!(
        !has(&page, &format!("id=\"candidate-{cid}\"")),
        "not a candidate yet"
    );
    // Every member sees it; owners get the button, the organiser does not.
    let page = wang.get(app, &base).await.html;
    assert!(has(&page, &card) && has(&page, &button) && has(&page, "href=\"#collecting\""));
    assert!(has(&page, "已有 1 位业主联署，需要 3 位"), "{page}");
    let page = org.get(app, &base).await.html;
    assert!(has(&page, &card) && !has(&page, &button) && has(&page, "只有本小区业主可以联署"));

    // wang co-signs: two of three.
    let cosign = path(&format!("/nominations/{cid}/cosignatures"));
    let signed = wang.post(app, &cosign, &[]).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    assert!(signed.location.ends_with(&format!("#collecting-{cid}")));
    assert_eq!(nomination(&t, id, cid).await, ("collecting".into(), 2));
    assert!(!has(&wang.get(app, &base).await.html, &button));
    // Co-signing twice is refused with the reason and changes nothing; so is co-signing
    // without being an owner.
    let twice = wang.post(app, &cosign, &[]).await;
    assert_eq!(twice.status, 409, "{}", twice.html);
    assert!(
        has(&twice.html, "id=\"form-conflict\"") && has(&twice.html, "您已经联署过这项提名"),
        "{}",
        twice.html
    );
    assert!(has(&twice.html, &format!("href=\"#cosign-{cid}-form\"")));
    assert!(!has(&twice.html, "保留在下面"), "no typed input to keep");
    assert_eq!(org.post(app, &cosign, &[]).await.status, 403);
    assert_eq!(nomination(&t, id, cid).await, ("collecting".into(), 2));
    assert_eq!(leaves(&t, id).await, log_size);

    // sun's co-signature is the third: it stands as a nomination, recorded in the log.
    let signed = sun.post(app, &cosign, &[]).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    assert!(signed.location.ends_with(&format!("#candidate-{cid}")));
    assert_eq!(nomination(&t, id, cid).await, ("nominated".into(), 3));
    assert_eq!(leaves(&t, id).await, log_size + 1);
    let log = common::elections::election_log(&t, id).await;
    let last: Value = serde_json::from_str(log["leaves"][log_size].as_str().unwrap()).unwrap();
    assert_eq!(
        (&last["type"], &last["kind"]),
        (&json!("nominated"), &json!("co_signed"))
    );
    let page = zhang.get(app, &base).await.html;
    assert!(has(&page, &format!("id=\"candidate-{cid}\"")) && has(&page, "3 位业主联名"));
    assert!(!has(&page, "id=\"collecting\""), "{page}");
    // A co-signature that comes too late is refused with the reason, shown on the page.
    let late = zhang.post(app, &cosign, &[]).await;
    assert_eq!(late.status, 409, "{}", late.html);
    assert!(has(&late.html, "这项提名不在征集联名"), "{}", late.html);
    assert_eq!(leaves(&t, id).await, log_size + 1);

    // One that never gathers enough stays collecting after the window, without buttons.
    sun.ok(app, &start, &recommend("B1")).await;
    let other = view(&t, id).await["candidates"][1]["id"].as_i64().unwrap();
    assert!(!has(
        &wang.get(app, &base).await.html,
        &format!("id=\"cosign-{other}-submit\"")
    ));
    app.clock.advance(7 * DAY);
    let page = zhang.get(app, &base).await.html;
    assert!(has(&page, &format!("id=\"collecting-{other}\"")) && has(&page, "提名期已结束"));
    assert!(!has(&page, &format!("id=\"cosign-{other}-submit\"")));
    let closed = zhang
        .post(
            app,
            &path(&format!("/nominations/{other}/cosignatures")),
            &[],
        )
        .await;
    assert_eq!(closed.status, 409, "{}", closed.html);
    assert_eq!(nomination(&t, id, other).await, ("collecting".into(), 1));
    // In English too.
    let en = zhang.get(app, &format!("{base}?lang=en")).await.html;
    assert!(
        has(&en, "Nominations collecting co-signatures")
            && has(&en, "Co-signed by 1 of the 3 owners needed"),
        "{en}"
    );
    // A form without its CSRF token is refused.
    let res = zhang
        .client
        .post(app.url(&path(&format!("/nominations/{other}/cosignatures"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
