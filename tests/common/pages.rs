//! A browser without JavaScript for the page tests: a signed-in client with its cookies and
//! the CSRF token of its forms, and checks on the HTML it gets. Include with
//! `#[path = "common/pages.rs"] mod pages;` next to `mod common;`.
#![allow(dead_code)]

use reqwest::Client;

use super::common::{csrf_of, TestApp};

/// A signed-in browser without JavaScript: its cookies and the CSRF token of its forms.
pub struct Browser {
    pub client: Client,
    pub csrf: String,
}

pub struct Page {
    pub status: u16,
    pub html: String,
    pub location: String,
}

impl Browser {
    pub async fn login(app: &TestApp, login: &str, password: &str) -> Browser {
        let client = app.browser_login(login, password).await;
        let html = client
            .get(app.url("/me"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Browser {
            csrf: csrf_of(&html),
            client,
        }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Page {
        let res = self.client.get(app.url(path)).send().await.unwrap();
        Page {
            status: res.status().as_u16(),
            location: String::new(),
            html: res.text().await.unwrap(),
        }
    }

    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let res = self
            .client
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Page {
            status: res.status().as_u16(),
            location,
            html: res.text().await.unwrap(),
        }
    }

    /// Post a form that must succeed: 303 back to the election.
    pub async fn ok(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) {
        let p = self.post(app, path, fields).await;
        assert_eq!(p.status, 303, "{path}: {}", p.html);
        assert!(p.location.contains("/elections/"), "{}", p.location);
    }
}

pub fn has(html: &str, needle: &str) -> bool {
    html.contains(needle)
}

/// Text as the templates escape it.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}
