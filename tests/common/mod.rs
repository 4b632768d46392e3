//! Test harness: a real server on port 0 with its own fresh database.
//!
//! The backend is SQLite (a new file per test) unless `YISHITING_TEST_POSTGRES_URL` is set,
//! in which case every test gets its own new PostgreSQL database, dropped afterwards.
#![allow(dead_code)]

pub mod ballots;
pub mod bundle;
pub mod elections;
pub mod forum;
pub mod mail;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use diesel::{Connection, RunQueryDsl};
use tempfile::TempDir;
use yishiting::config::{DatabaseUrl, SecretKey, Settings};

pub const POSTGRES_ENV: &str = "YISHITING_TEST_POSTGRES_URL";

/// The PostgreSQL server URL for tests, if the PostgreSQL suite is asked for.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: TempDir,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match postgres_admin_url() {
            None => {
                let path = dir.path().join("test.sqlite3");
                TestDb {
                    url: DatabaseUrl::parse(path.to_str().expect("utf-8 temp path")).unwrap(),
                    dir,
                    pg: None,
                }
            }
            Some(admin) => {
                let name = format!("yst_test_{}", yishiting::crypto::random_hex(8).unwrap());
                let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = with_database_name(&admin, &name);
                TestDb {
                    url: DatabaseUrl::parse(&url).unwrap(),
                    dir,
                    pg: Some((admin, name)),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The PostgreSQL database's name, if this is PostgreSQL.
    pub fn pg_database_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, name)| name.as_str())
    }

    /// A connection to the PostgreSQL server's admin database.
    pub fn connect_admin(&self) -> diesel::PgConnection {
        let (admin, _) = self.pg.as_ref().expect("not PostgreSQL");
        diesel::PgConnection::establish(admin).expect("connect to PostgreSQL")
    }

    /// A direct connection, outside any server.
    pub fn connect(&self) -> yishiting::db::DbConn {
        yishiting::db::establish(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// Replace the database name in a PostgreSQL URL.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn test_settings(db: &TestDb, data_dir: PathBuf) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database: db.url.clone(),
        data_dir,
        secret_key: SecretKey::new(vec![42; 32]).unwrap(),
        pool_size: 4,
        shutdown_timeout_secs: 5,
        secure_cookies: false,
        log_name: "yishiting.test".into(),
        key_encryption_key: yishiting::crypto::ballot_key::KeyEncryptionKey::from_secret(
            "0101010101010101010101010101010101010101010101010101010101010101",
        )
        .unwrap(),
        clock: yishiting::clock::Clock::default(),
        // Email through the file transport: each test reads its own messages.
        mail: Some(yishiting::notify::mail::MailSettings {
            transport: yishiting::notify::mail::MailTransport::Dir(data_dir_mail(db)),
            from: yishiting::notify::mail::DEFAULT_FROM.into(),
            public_url: String::new(),
        }),
        demo: false,
    }
}

/// The test's mail directory (the file transport writes one `.eml` file per message).
pub fn data_dir_mail(db: &TestDb) -> PathBuf {
    db.dir.path().join("mail")
}

/// A running server and a client with a cookie jar.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The server's clock: tests move it forward instead of waiting out notice periods.
    pub clock: yishiting::clock::Clock,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A client with its own, empty cookie jar.
    pub fn new_client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

pub async fn spawn_app() -> TestApp {
    let db = TestDb::new();
    let settings = test_settings(&db, db.dir.path().join("data"));
    let clock = settings.clock.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (server, addr) = yishiting::app::start_on(settings, listener).expect("start server");
    let handle = server.handle();
    tokio::spawn(server);
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: TestApp::new_client(),
        db,
        clock,
        handle,
    }
}

/// The CSRF token in a rendered form.
pub fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A roster with every counting case: co-owners, a buyer of two units, the developer's unsold
/// and undelivered units, and the three area sources.
pub const SAMPLE_ROSTER: &str = "building,room,area_registry,area_survey,area_contract,status,owner_ref,owner_name,owner_kind,owner_phone
1号楼,101,89.50,,,delivered,A1,张三,person,13800000001
1号楼,101,89.50,,,delivered,A2,李四,person,
1号楼,102,,92.10,,delivered,B1,王五,person,
1号楼,201,120.00,,,delivered,B1,王五,person,
2号楼,101,75.25,,,unsold,DEV,某某置业有限公司,developer,
2号楼,102,,,80.00,undelivered,C1,赵六,person,
2号楼,201,66.60,70.00,,delivered,D1,孙七,person,
";

impl TestApp {
    /// An account made directly in the database.
    pub fn create_user(&self, login: &str, password: &str, is_admin: bool) -> i64 {
        let mut conn = self.db.connect();
        yishiting::db::accounts::insert_user(
            &mut conn,
            &yishiting::db::accounts::NewUser {
                login,
                display_name: login,
                password_hash: &yishiting::crypto::passwords::hash_password(password).unwrap(),
                is_admin,
                community_id: None,
                owner_id: None,
                lang: None,
                created_at: chrono::Utc::now().naive_utc(),
                resident_ref: None,
            },
        )
        .unwrap()
        .id
    }

    /// An owner's account (as if the owner had redeemed an invitation code).
    pub fn create_owner_user(
        &self,
        login: &str,
        password: &str,
        slug: &str,
        owner_ref: &str,
    ) -> i64 {
        let mut conn = self.db.connect();
        let c = yishiting::db::communities::by_slug(&mut conn, slug)
            .unwrap()
            .expect("community");
        let owner = yishiting::db::roster::owners(&mut conn, c.id)
            .unwrap()
            .into_iter()
            .find(|o| o.owner_ref == owner_ref)
            .expect("owner on the roster");
        yishiting::db::accounts::insert_user(
            &mut conn,
            &yishiting::db::accounts::NewUser {
                login,
                display_name: &owner.name,
                password_hash: &yishiting::crypto::passwords::hash_password(password).unwrap(),
                is_admin: false,
                community_id: Some(c.id),
                owner_id: Some(owner.id),
                lang: None,
                created_at: chrono::Utc::now().naive_utc(),
                resident_ref: None,
            },
        )
        .unwrap()
        .id
    }

    /// A bearer token for an account.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let res = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({ "login": login, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login {login}");
        res.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut rb = TestApp::new_client().request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    /// A browser-like client logged in through the login form.
    pub async fn browser_login(&self, login: &str, password: &str) -> reqwest::Client {
        let client = TestApp::new_client();
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = client
            .post(self.url("/login"))
            .form(&[
                ("login", login),
                ("password", password),
                ("csrf", &csrf_of(&html)),
                ("next", "/me"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "form login {login}");
        client
    }
}

/// A community `sanyijing` with buildings 1号楼 and 2号楼, an administrator and an organiser.
pub struct Fixture {
    pub admin: String,
    pub organiser: String,
    pub slug: String,
}

pub async fn fixture(app: &TestApp) -> Fixture {
    app.create_user("admin", "admin-password", true);
    let admin = app.token("admin", "admin-password").await;
    let res = app
        .api(reqwest::Method::POST, "/api/v1/communities", Some(&admin))
        .json(
            &serde_json::json!({ "slug": "sanyijing", "name": "三义井社区", "district": "雨湖区" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    app.create_user("organiser", "organiser-password", false);
    let res = app
        .api(reqwest::Method::POST, "/api/v1/communities/sanyijing/roles", Some(&admin))
        .json(&serde_json::json!({ "login": "organiser", "role": "organiser", "body": "owners_committee" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let organiser = app.token("organiser", "organiser-password").await;
    for name in ["1号楼", "2号楼"] {
        let res = app
            .api(
                reqwest::Method::POST,
                "/api/v1/communities/sanyijing/buildings",
                Some(&organiser),
            )
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    Fixture {
        admin,
        organiser,
        slug: "sanyijing".into(),
    }
}

impl Fixture {
    /// Send a roster CSV to the import API (`confirm` applies it).
    pub async fn import(
        &self,
        app: &TestApp,
        csv: &str,
        confirm: bool,
        lang: &str,
    ) -> reqwest::Response {
        app.api(
            reqwest::Method::POST,
            &format!(
                "/api/v1/communities/{}/roster/import?confirm={confirm}",
                self.slug
            ),
            Some(&self.organiser),
        )
        .header("Content-Type", "text/csv")
        .header("Accept-Language", lang)
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
    }
}
