//! The browser suite: real headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`). Runs when `YISHITING_BROWSER_TESTS=1`; in CI (`CI` set) it must run,
//! and a missing browser fails the run instead of skipping.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Should the browser suite run here?
fn browser_suite_enabled() -> bool {
    if std::env::var("YISHITING_BROWSER_TESTS").as_deref() == Ok("1") {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the browser suite: set YISHITING_BROWSER_TESTS=1");
    }
    eprintln!(
        "browser suite not run: set YISHITING_BROWSER_TESTS=1 (needs chromium and chromedriver)"
    );
    false
}

fn program(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_owned())
}

/// A chromedriver process of this test's own, and a Chromium session driven through it.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver_bin = program("YISHITING_CHROMEDRIVER", "/usr/bin/chromedriver");
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin}: {e} (install chromium-driver)"));
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": program("YISHITING_CHROMIUM", "/usr/bin/chromium"),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=412,915",
                    "--lang=zh-CN", "--accept-lang=zh-CN,zh",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                // A phone in China: Chinese first.
                "prefs": { "intl": { "accept_languages": "zh-CN,zh" } },
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("start a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Console messages at level SEVERE (errors, failed loads, CSP violations) since the last call.
    async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read console log");
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), not part of W3C WebDriver.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn home_page_in_both_languages_without_console_errors() {
    if !browser_suite_enabled() {
        return;
    }
    let app = common::spawn_app().await;
    let browser = Browser::start().await;
    let c = &browser.client;

    c.goto(&app.url("/")).await.unwrap();
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("zh-CN"));
    assert!(text_of(c, "h1").await.contains("议事亭"));
    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors on the Chinese home page: {errors:?}"
    );

    // The stylesheet really applied: large type for older eyes (20px base).
    let size: Value = c
        .execute("return getComputedStyle(document.body).fontSize;", vec![])
        .await
        .unwrap();
    assert_eq!(size, json!("20px"));

    // Switch language with the link, as a person would (no JavaScript needed).
    c.find(Locator::Css("a.lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("en"));
    assert!(text_of(c, "h1")
        .await
        .contains("the community decides together"));
    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors on the English home page: {errors:?}"
    );

    // The choice sticks when following a link.
    c.find(Locator::Css("nav a[href='/rules']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text_of(c, "h1").await.contains("Voting rules"));
    assert!(text_of(c, "#civil-code-278").await.contains("三分之二以上"));

    // An error page is a readable page too.
    c.goto(&app.url("/nowhere")).await.unwrap();
    assert!(text_of(c, "h1").await.contains("Page not found"));

    browser.close().await;
}
