//! The forum's pages and search: injected markup rendered inert (a corpus of XSS payloads),
//! the proposal form without JavaScript, and search over Chinese text on both databases.

mod common;

use common::csrf_of;
use common::forum::{setup, BASE};
use reqwest::Method;
use serde_json::{json, Value};

/// Markup in proposals and comments is rendered inert: a corpus of XSS payloads.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "\"><script>alert(1)</script>",
    "<body onload=alert(1)>",
    "<style>*{display:none}</style>",
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<input autofocus onfocus=alert(1)>",
    "javascript:alert(1)",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
];

#[tokio::test]
async fn injected_markup_is_inert_in_pages() {
    let t = setup().await;
    let browser = t.app.browser_login("zhang", "owner-password").await;
    let html = browser
        .get(t.app.url("/c/sanyijing/proposals/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    // The form: bad input comes back with the problems and what was typed, storing nothing.
    let res = browser
        .post(t.app.url("/c/sanyijing/proposals"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", ""),
            ("body", "正文"),
            ("category", "pets"),
            ("submit", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("proposal-errors") && html.contains("正文"));
    assert_eq!(t.count().await, 0);

    let body = XSS.join("\n\n");
    let res = browser
        .post(t.app.url("/c/sanyijing/proposals"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "<script>alert('t')</script>标题"),
            ("body", body.as_str()),
            ("category", "pets"),
            ("building_id", ""),
            ("submit", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    for p in XSS {
        let res = browser
            .post(t.app.url(&format!("{at}/comments")))
            .form(&[("csrf", csrf.as_str()), ("body", *p), ("stance", "neutral")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{p}");
    }
    let html = browser
        .get(t.app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Every real tag of the page (escaped text has no raw `<`): none is a script, frame,
    // style, image or SVG, and none carries an event handler or a script or data URL.
    let lower = html.to_lowercase();
    let tags: Vec<&str> = lower
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
        .collect();
    assert!(tags.len() > 50);
    for tag in &tags {
        let name = tag.split([' ', '\n', '/']).next().unwrap_or("");
        let script_of_ours = name == "script" && tag.contains("src=\"/static/");
        assert!(
            script_of_ours || !["script", "iframe", "style", "img", "svg", "math"].contains(&name),
            "<{tag}> got through"
        );
        assert!(name != "body" || *tag == "body", "<{tag}> got through");
        assert!(
            !tag.split_whitespace()
                .any(|w| w.starts_with("on") && w.contains('=')),
            "<{tag}> carries an event handler"
        );
        for bad in ["javascript:", "data:text/html"] {
            assert!(!tag.contains(bad), "<{tag}> carries {bad}");
        }
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "comments are escaped text"
    );
    // The comment landed through the form, with its stance labelled.
    assert!(html.contains("stance-neutral"));
    let api = t
        .json(
            Method::GET,
            &format!("/proposals/{id}/comments"),
            &t.zhang,
            None,
            200,
        )
        .await;
    assert_eq!(api.as_array().unwrap().len(), XSS.len());
    assert_eq!(
        api[0]["text"], XSS[0],
        "stored as typed, escaped when shown"
    );
}

#[tokio::test]
async fn search_finds_chinese_text_and_only_what_the_member_may_see() {
    let t = setup().await;
    let id = t.propose(&t.zhang, "地下车库加装照明").await;
    let body =
        json!({"title": "Parking B2 收费", "body": "Ｂ2 层车位收费太高。", "category": "parking"});
    t.json(Method::POST, "/proposals", &t.wang, Some(body), 201)
        .await;
    let draft =
        json!({"title": "草稿里的车库", "body": "还没想好", "category": "other", "publish": false});
    t.json(Method::POST, "/proposals", &t.li, Some(draft), 201)
        .await;
    let c = t
        .comment(&t.li, id, json!({"body": "小区里遛狗一定要牵绳。"}), 201)
        .await;
    let search = |q: &str, tok: String| {
        let path = format!(
            "/search?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let t = &t;
        async move { t.json(Method::GET, &path, &tok, None, 200).await }
    };
    let kinds = |v: &Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["kind"].as_str().unwrap().to_owned(),
                    h["proposal_id"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let hits = search("车库", t.zhang.clone()).await;
    assert_eq!(
        hits.as_array().unwrap().len(),
        1,
        "{hits}: the draft is li's own"
    );
    assert_eq!(hits[0]["title"], "地下车库加装照明");
    assert_eq!(
        search("车库", t.li.clone()).await.as_array().unwrap().len(),
        2
    );
    assert_eq!(
        kinds(&search("狗", t.zhang.clone()).await),
        [("comment".to_owned(), id)]
    );
    assert_eq!(
        search("遛狗 牵绳", t.zhang.clone())
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(search("牵狗", t.zhang.clone())
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let full_width = search("ｐａｒｋｉｎｇ", t.zhang.clone()).await;
    assert_eq!(full_width[0]["title"], "Parking B2 收费");
    assert_eq!(
        search("b2", t.zhang.clone())
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    t.json(
        Method::GET,
        "/search?q=%EF%BC%8C%EF%BC%8C",
        &t.zhang,
        None,
        422,
    )
    .await;
    assert_eq!(t.app.get(&format!("{BASE}/search?q=x")).await.status(), 401);
    // A hidden comment is no longer found; a deleted one neither.
    let cid = c["id"].as_i64().unwrap();
    t.json(
        Method::POST,
        &format!("/proposals/{id}/comments/{cid}/moderation"),
        &t.f.organiser,
        Some(json!({"action": "hide", "reason": "测试隐藏"})),
        200,
    )
    .await;
    assert!(search("遛狗", t.zhang.clone())
        .await
        .as_array()
        .unwrap()
        .is_empty());
    // Conventions are searched too: each version's text.
    let res = t
        .app
        .api(Method::POST, "/api/v1/communities/sanyijing/conventions", Some(&t.f.organiser))
        .json(&json!({"kind": "management", "title": "三义井小区管理规约",
            "text": "第一条 总则\n为维护全体业主的合法权益，制定本规约。\n第二条 宠物\n饲养犬只出户应当束犬链。"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let hits = search("犬链", t.zhang.clone()).await;
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["kind"], "convention");
    assert!(hits[0]["url"].as_str().unwrap().contains("/conventions/"));
    // The page, without JavaScript.
    let browser = t.app.browser_login("zhang", "owner-password").await;
    let html = browser
        .get(t.app.url("/c/sanyijing/search?q=%E8%BD%A6%E5%BA%93"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"search-hits\"") && html.contains("地下车库加装照明"));
}
