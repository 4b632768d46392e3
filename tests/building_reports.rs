//! Building reports (楼栋上报) over the API and through the pages without JavaScript: an owner
//! reports a problem, the building lead acknowledges, assigns and closes it with a note, the
//! reporter follows its status and history; nobody else sees or moves it.
//! Runs on SQLite, and on PostgreSQL when `YISHITING_TEST_POSTGRES_URL` is set.

mod common;

use common::{csrf_of, fixture, spawn_app, TestApp, SAMPLE_ROSTER};
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/communities/sanyijing/building-reports";

/// Tokens of the people in these tests and the two buildings' ids.
struct People {
    organiser: String,
    /// 张三, an owner in 1号楼.
    zhang: String,
    /// 王五, another owner in 1号楼.
    wang: String,
    /// The building lead of 1号楼.
    lead1: String,
    /// The building lead of 2号楼.
    lead2: String,
    b1: i64,
    b2: i64,
}

async fn grant_lead(app: &TestApp, admin: &str, login: &str, building: &str) {
    app.create_user(login, "lead-password", false);
    let res = app
        .api(
            Method::POST,
            "/api/v1/communities/sanyijing/roles",
            Some(admin),
        )
        .json(&json!({ "login": login, "role": "building_lead", "building": building }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

async fn people(app: &TestApp) -> People {
    let f = fixture(app).await;
    assert_eq!(f.import(app, SAMPLE_ROSTER, true, "en").await.status(), 200);
    app.create_owner_user("zhang", "owner-password", "sanyijing", "A1");
    app.create_owner_user("wang", "owner-password", "sanyijing", "B1");
    grant_lead(app, &f.admin, "lead1", "1号楼").await;
    grant_lead(app, &f.admin, "lead2", "2号楼").await;
    let mut conn = app.db.connect();
    let c = yishiting::db::communities::by_slug(&mut conn, "sanyijing")
        .unwrap()
        .unwrap();
    let buildings = yishiting::db::roster::buildings(&mut conn, c.id).unwrap();
    let id_of = |name: &str| buildings.iter().find(|b| b.name == name).unwrap().id;
    People {
        organiser: f.organiser.clone(),
        zhang: app.token("zhang", "owner-password").await,
        wang: app.token("wang", "owner-password").await,
        lead1: app.token("lead1", "lead-password").await,
        lead2: app.token("lead2", "lead-password").await,
        b1: id_of("1号楼"),
        b2: id_of("2号楼"),
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = app.api(method, path, Some(token));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    send(
        app,
        Method::POST,
        &format!("{BASE}/{id}/events"),
        token,
        Some(body),
    )
    .await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors: {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_report_is_acknowledged_assigned_and_closed_by_its_building_lead() {
    let app = spawn_app().await;
    let p = people(&app).await;

    let (status, r) = send(
        &app,
        Method::POST,
        BASE,
        &p.zhang,
        Some(json!({
            "building_id": p.b1, "category": "water_pooling", "title": "楼下积水",
            "location": "3单元门口", "description": "下雨后积水一直不退",
        })),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["status"], "reported");
    assert_eq!(r["building"], "1号楼");
    assert_eq!(r["reporter"], "张三");
    assert_eq!(r["events"][0]["action"], "report");
    assert_eq!(r["can_handle"], false);

    // Who sees it: the reporter, the lead of 1号楼, organisers; nobody else.
    for (token, expected) in [
        (&p.zhang, vec![id]),
        (&p.lead1, vec![id]),
        (&p.organiser, vec![id]),
        (&p.lead2, vec![]),
        (&p.wang, vec![]),
    ] {
        let (status, list) = send(&app, Method::GET, BASE, token, None).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), expected);
    }
    for token in [&p.wang, &p.lead2] {
        let (status, _) = send(&app, Method::GET, &format!("{BASE}/{id}"), token, None).await;
        assert_eq!(status, 404);
    }
    let (status, d) = send(&app, Method::GET, &format!("{BASE}/{id}"), &p.lead1, None).await;
    assert_eq!(status, 200);
    assert_eq!(d["can_handle"], true);

    // Who may act: not the reporter (403), not another owner or another building's lead (404).
    let ack = json!({ "action": "acknowledge", "note": "收到，马上去看" });
    assert_eq!(act(&app, &p.zhang, id, ack.clone()).await.0, 403);
    assert_eq!(act(&app, &p.wang, id, ack.clone()).await.0, 404);
    assert_eq!(act(&app, &p.lead2, id, ack.clone()).await.0, 404);

    let (status, d) = act(&app, &p.lead1, id, ack.clone()).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "acknowledged");
    // Acknowledging twice is not a step from here.
    let (status, problem) = act(&app, &p.lead1, id, ack).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "conflict");

    // Assigning needs someone to assign to.
    let (status, problem) = act(
        &app,
        &p.lead1,
        id,
        json!({ "action": "assign", "assignee": " " }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["assignee"]);
    let (status, d) = act(
        &app,
        &p.lead1,
        id,
        json!({ "action": "assign", "assignee": "物业王师傅", "note": "明天上午处理" }),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "assigned");
    assert_eq!(d["assignee"], "物业王师傅");

    // Closing needs a note; refused, nothing changes.
    let (status, problem) = act(
        &app,
        &p.lead1,
        id,
        json!({ "action": "close", "note": "  " }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["note"]);
    let (_, d) = send(&app, Method::GET, &format!("{BASE}/{id}"), &p.zhang, None).await;
    assert_eq!(d["status"], "assigned");
    assert_eq!(d["events"].as_array().unwrap().len(), 3);

    let (status, d) = act(
        &app,
        &p.lead1,
        id,
        json!({ "action": "close", "note": "已疏通下水道" }),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "closed");

    // A closed report takes no more steps.
    for body in [
        json!({ "action": "close", "note": "再关一次" }),
        json!({ "action": "assign", "assignee": "别人" }),
        json!({ "action": "acknowledge" }),
    ] {
        assert_eq!(act(&app, &p.lead1, id, body).await.0, 409);
    }

    // The reporter sees the status and the whole history.
    let (status, d) = send(&app, Method::GET, &format!("{BASE}/{id}"), &p.zhang, None).await;
    assert_eq!(status, 200);
    assert_eq!(d["status"], "closed");
    let actions: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["report", "acknowledge", "assign", "close"]);
    assert_eq!(d["events"][3]["note"], "已疏通下水道");
    assert_eq!(d["events"][3]["actor"], "lead1");

    // The status filter.
    let (_, list) = send(
        &app,
        Method::GET,
        &format!("{BASE}?status=closed"),
        &p.lead1,
        None,
    )
    .await;
    assert_eq!(ids(&list), [id]);
    let (_, list) = send(
        &app,
        Method::GET,
        &format!("{BASE}?status=reported"),
        &p.lead1,
        None,
    )
    .await;
    assert_eq!(ids(&list), Vec::<i64>::new());
    let (status, problem) = send(
        &app,
        Method::GET,
        &format!("{BASE}?status=done"),
        &p.lead1,
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["status"]);

    // Every step is in the audit trail.
    let res = app
        .api(
            Method::GET,
            "/api/v1/communities/sanyijing/audit",
            Some(&p.organiser),
        )
        .send()
        .await
        .unwrap();
    let audit = res.text().await.unwrap();
    for action in ["report", "acknowledge", "assign", "close"] {
        assert!(
            audit.contains(&format!("building_report.{action}")),
            "{action}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let p = people(&app).await;

    let (status, problem) = send(
        &app,
        Method::POST,
        BASE,
        &p.zhang,
        Some(json!({
            "building_id": 999_999, "category": "flood", "title": " ",
            "description": "很".repeat(2001), "location": "门口\u{7}",
        })),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "validation");
    assert_eq!(
        fields(&problem),
        [
            "building_id",
            "category",
            "title",
            "description",
            "location"
        ]
    );
    let (status, problem) = send(&app, Method::POST, BASE, &p.zhang, Some(json!({}))).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["building_id", "category", "title"]);
    let (status, problem) = send(
        &app,
        Method::POST,
        BASE,
        &p.zhang,
        Some(json!({ "building_id": p.b2, "category": "noise", "title": "题".repeat(101) })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["title"]);
    let (_, list) = send(&app, Method::GET, BASE, &p.organiser, None).await;
    assert_eq!(ids(&list), Vec::<i64>::new());

    // Someone who is not a member of the community may not report.
    app.create_user("stranger", "stranger-password", false);
    let stranger = app.token("stranger", "stranger-password").await;
    let good = json!({ "building_id": p.b2, "category": "noise", "title": "楼上狗叫" });
    let (status, _) = send(&app, Method::POST, BASE, &stranger, Some(good.clone())).await;
    assert_eq!(status, 403);
    let (status, _) = send(&app, Method::GET, BASE, &stranger, None).await;
    assert_eq!(status, 403);
    let res = app.api(Method::GET, BASE, None).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // A building lead reports too, and an unknown action is named.
    let (status, r) = send(&app, Method::POST, BASE, &p.lead1, Some(good)).await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (status, problem) = act(&app, &p.lead2, id, json!({ "action": "reopen" })).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["action"]);
    let (status, problem) = act(
        &app,
        &p.lead2,
        id,
        json!({ "action": "close", "note": "好".repeat(2001) }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["note"]);
    let (_, d) = send(&app, Method::GET, &format!("{BASE}/{id}"), &p.lead2, None).await;
    assert_eq!(d["status"], "reported");
    assert_eq!(d["events"].as_array().unwrap().len(), 1);
    // lead1 filed it for 2号楼: theirs to follow, not to handle.
    let (_, d) = send(&app, Method::GET, &format!("{BASE}/{id}"), &p.lead1, None).await;
    assert_eq!(d["can_handle"], false);
    assert_eq!(
        act(&app, &p.lead1, id, json!({ "action": "acknowledge" }))
            .await
            .0,
        403
    );
}

async fn html(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn the_same_flow_through_the_pages_without_javascript() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let zhang = app.browser_login("zhang", "owner-password").await;
    let list_url = app.url("/c/sanyijing/building-reports");

    let (status, page) = html(zhang.get(&list_url).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("楼栋上报") && page.contains("您还没有上报过问题"));
    assert!(!page.contains("id=\"to-handle\""));
    let (status, form) = html(zhang.get(format!("{list_url}/new")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(form.contains("1号楼") && form.contains("积水"));
    let csrf = csrf_of(&form);
    let b1 = p.b1.to_string();

    // Bad input: the form again, with the problems and what was typed; nothing stored.
    let (status, page) = html(
        zhang
            .post(&list_url)
            .form(&[
                ("csrf", csrf.as_str()),
                ("building_id", b1.as_str()),
                ("category", "lighting"),
                ("title", ""),
                ("location", "3单元<b>门口</b>"),
                ("description", ""),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"report-errors\"") && page.contains("此项必填"));
    assert!(
        page.contains("3单元&lt;b&gt;门口&lt;&#x2F;b&gt;"),
        "escaped"
    );
    let (_, list) = send(&app, Method::GET, BASE, &p.organiser, None).await;
    assert_eq!(ids(&list), Vec::<i64>::new());
    // No CSRF token, no report.
    let res = zhang
        .post(&list_url)
        .form(&[
            ("building_id", b1.as_str()),
            ("category", "lighting"),
            ("title", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let res = zhang
        .post(&list_url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("building_id", b1.as_str()),
            ("category", "lighting"),
            ("title", "楼道灯坏了"),
            ("location", "2单元3楼"),
            ("description", "晚上很黑\n老人上下楼不安全"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/c/sanyijing/building-reports/"),
        "{location}"
    );
    let report_url = app.url(&location);
    let (status, page) = html(zhang.get(&report_url).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("楼道灯坏了") && page.contains("已上报") && page.contains("晚上很黑<br>")
    );
    assert!(
        !page.contains("id=\"close-form\""),
        "the reporter gets no handling forms"
    );
    let events = format!("{location}/events");
    let res = zhang
        .post(app.url(&events))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "acknowledge"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let wang = app.browser_login("wang", "owner-password").await;
    assert_eq!(wang.get(&report_url).send().await.unwrap().status(), 404);

    // The lead finds it in the list to handle and takes each step with a form.
    let lead = app.browser_login("lead1", "lead-password").await;
    let (_, page) = html(lead.get(&list_url).send().await.unwrap()).await;
    assert!(page.contains("id=\"to-handle\"") && page.contains("楼道灯坏了"));
    let (_, page) = html(lead.get(&report_url).send().await.unwrap()).await;
    assert!(page.contains("id=\"acknowledge-form\"") && page.contains("id=\"close-form\""));
    let csrf = csrf_of(&page);
    let step = |fields: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        lead.post(app.url(&events)).form(&form).send()
    };
    let res = step(vec![("action", "acknowledge"), ("note", "收到")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = step(vec![
        ("action", "assign"),
        ("assignee", "电工李师傅"),
        ("note", ""),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let (status, page) = html(step(vec![("action", "close"), ("note", "")]).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(page.contains("关闭上报时请写明处理结果") && page.contains("电工李师傅"));
    let res = step(vec![("action", "close"), ("note", "已换新灯泡")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, _) = html(
        step(vec![("action", "close"), ("note", "again")])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 409);

    // The reporter sees it closed, with the note, in both languages.
    let (_, page) = html(zhang.get(&report_url).send().await.unwrap()).await;
    assert!(page.contains("已关闭") && page.contains("已换新灯泡") && page.contains("电工李师傅"));
    assert!(!page.contains("id=\"close-form\""));
    let (_, page) = html(zhang.get(&list_url).send().await.unwrap()).await;
    assert!(page.contains("楼道灯坏了") && page.contains("已关闭"));
    let (_, page) = html(
        zhang
            .get(format!("{report_url}?lang=en"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("Closed") && page.contains("History"));
    // The lead's filter.
    let (_, page) = html(
        lead.get(format!("{list_url}?status=reported"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains("楼道灯坏了"));
}
