//! The forum tests' setup: a community with the sample roster and four owner accounts, and
//! small request helpers.
#![allow(dead_code)]

use reqwest::Method;
use serde_json::{json, Value};

use super::{fixture, spawn_app, Fixture, TestApp, SAMPLE_ROSTER};

pub const BASE: &str = "/api/v1/communities/sanyijing";

pub struct Forum {
    pub app: TestApp,
    pub f: Fixture,
    pub zhang: String,
    pub li: String,
    pub wang: String,
    pub sun: String,
}

/// A community with the sample roster and four owner accounts: zhang (A1) and li (A2) share
/// one unit, wang (B1) holds two, sun (D1) one.
pub async fn setup() -> Forum {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    assert_eq!(
        f.import(&app, SAMPLE_ROSTER, true, "zh-CN").await.status(),
        200
    );
    for (login, owner) in [("zhang", "A1"), ("li", "A2"), ("wang", "B1"), ("sun", "D1")] {
        app.create_owner_user(login, "owner-password", "sanyijing", owner);
    }
    let zhang = app.token("zhang", "owner-password").await;
    let li = app.token("li", "owner-password").await;
    let wang = app.token("wang", "owner-password").await;
    let sun = app.token("sun", "owner-password").await;
    Forum {
        app,
        f,
        zhang,
        li,
        wang,
        sun,
    }
}

impl Forum {
    pub async fn send(
        &self,
        m: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = self.app.api(m, &format!("{BASE}{path}"), Some(token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }
    pub async fn json(
        &self,
        m: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let res = self.send(m, path, token, body).await;
        let got = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(got, status, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
    pub async fn fields(&self, m: Method, path: &str, token: &str, body: Value) -> Vec<String> {
        let v = self.json(m, path, token, Some(body), 422).await;
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
    pub async fn propose(&self, token: &str, title: &str) -> i64 {
        let v = self
            .json(
                Method::POST,
                "/proposals",
                token,
                Some(json!({"title": title, "body": "地下车库**晚上**没有灯。", "category": "safety"})),
                201,
            )
            .await;
        assert_eq!(v["status"], "open");
        v["id"].as_i64().unwrap()
    }
    pub async fn comment(&self, token: &str, id: i64, body: Value, status: u16) -> Value {
        self.json(
            Method::POST,
            &format!("/proposals/{id}/comments"),
            token,
            Some(body),
            status,
        )
        .await
    }
    pub async fn count(&self) -> usize {
        self.json(Method::GET, "/proposals", &self.f.organiser, None, 200)
            .await
            .as_array()
            .unwrap()
            .len()
    }
}
