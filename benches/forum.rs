//! The forum's pages at the scale of issue #6: a proposal with 10,000 comments and a
//! community with 5,000 proposals. The real server runs in-process on port 0 over a SQLite file
//! (or over PostgreSQL when `YISHITING_BENCH_POSTGRES_URL` names a server: the bench creates the
//! database `yishiting_bench` there and drops it first), seeded through the service's own data
//! layer; each iteration is one HTTP request from a logged-in member over loopback, so the time
//! measured is the server's time plus the client's (an upper bound on server time).
//!
//! Run with `cargo bench --bench forum`. The target: at most 20 ms for each first page.

use std::net::TcpListener;
use std::time::Instant;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use diesel::connection::SimpleConnection;
use yishiting::config::{DatabaseUrl, SecretKey, Settings};
use yishiting::db::accounts::{self, NewUser};
use yishiting::db::communities::{self, NewCommunity};
use yishiting::db::{comments, proposals, Database, DbConn};
use yishiting::domain::proposal::{Category, Proposal, Status};
use yishiting::domain::roles::{GrantedRole, OrganiserBody};

const PROPOSALS: usize = 5_000;
const COMMENTS: usize = 10_000;
const PASSWORD: &str = "bench-password";

struct Seeded {
    big: i64,
}

fn database_url(dir: &std::path::Path) -> DatabaseUrl {
    match std::env::var("YISHITING_BENCH_POSTGRES_URL") {
        Ok(server) => {
            let server = server.trim_end_matches('/').to_owned();
            let mut admin = diesel::PgConnection::establish_admin(&format!("{server}/postgres"));
            // One statement each: PostgreSQL runs a multi-statement batch as one transaction,
            // and DROP/CREATE DATABASE refuse to run inside one.
            for sql in [
                "DROP DATABASE IF EXISTS yishiting_bench WITH (FORCE)",
                "CREATE DATABASE yishiting_bench",
            ] {
                admin.batch_execute(sql).expect("create the bench database");
            }
            DatabaseUrl::parse(&format!("{server}/yishiting_bench")).expect("url")
        }
        Err(_) => DatabaseUrl::parse(&format!("sqlite://{}", dir.join("bench.sqlite3").display()))
            .expect("url"),
    }
}

trait Admin {
    fn establish_admin(url: &str) -> Self;
}

impl Admin for diesel::PgConnection {
    fn establish_admin(url: &str) -> Self {
        use diesel::Connection;
        diesel::PgConnection::establish(url).expect("connect to PostgreSQL")
    }
}

fn seed(conn: &mut DbConn) -> Seeded {
    if let DbConn::Sqlite(c) = conn {
        // Seeding only: the server's own connections keep synchronous=FULL.
        c.batch_execute("PRAGMA synchronous = OFF;")
            .expect("pragma");
    }
    let now = Utc::now().naive_utc();
    let c = communities::insert(
        conn,
        &NewCommunity {
            slug: "bench",
            name: "基准测试小区",
            name_en: "Bench",
            district: "bench",
            created_at: now,
        },
    )
    .expect("community");
    let hash = yishiting::crypto::passwords::hash_password(PASSWORD).expect("hash");
    let user = accounts::insert_user(
        conn,
        &NewUser {
            login: "bench",
            display_name: "基准 组织者",
            password_hash: &hash,
            is_admin: false,
            community_id: None,
            owner_id: None,
            lang: None,
            created_at: now,
            resident_ref: None,
        },
    )
    .expect("user");
    accounts::grant_role(
        conn,
        c.id,
        user.id,
        GrantedRole::Organiser,
        None,
        Some(OrganiserBody::OwnersCommittee.as_str()),
        None,
    )
    .expect("grant");
    let t = Instant::now();
    let base = Utc::now().timestamp() - 10 * 86_400;
    let mut big = 0;
    for i in 0..PROPOSALS {
        let p = Proposal {
            title: format!("第 {i} 号议题：地下车库加装照明"),
            body: "车库晚上很黑，老人走路不安全。建议加装感应灯，费用从公共收益中列支。".repeat(4),
            category: Category::ALL[i % Category::ALL.len()],
            building_id: None,
        };
        let row = proposals::insert(conn, c.id, user.id, &p, Status::Open, base + i as i64)
            .expect("proposal");
        if i == 0 {
            big = row.id;
        }
    }
    eprintln!(
        "seeded {PROPOSALS} proposals in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // 10,000 comments on one proposal: 2,000 roots; the first has 2,000 replies, each of the
    // others three (two under the root, one under the first of those).
    let t = Instant::now();
    let body = "同意。晚上车库确实太暗，我家老人上个月在这里摔过一跤，希望尽快解决。";
    let mut roots = Vec::new();
    for _ in 0..2_000 {
        roots.push(comments::insert(conn, big, user.id, None, body, None, base).expect("root"));
    }
    let mut n = roots.len();
    for _ in 0..2_000 {
        comments::insert(conn, big, user.id, Some(&roots[0]), body, None, base).expect("reply");
        n += 1;
    }
    'outer: for r in roots.iter().skip(1) {
        let a = comments::insert(conn, big, user.id, Some(r), body, None, base).expect("reply");
        comments::insert(conn, big, user.id, Some(&a), body, None, base).expect("reply");
        comments::insert(conn, big, user.id, Some(r), body, None, base).expect("reply");
        n += 3;
        if n >= COMMENTS {
            break 'outer;
        }
    }
    while n < COMMENTS {
        comments::insert(conn, big, user.id, Some(&roots[0]), body, None, base).expect("reply");
        n += 1;
    }
    eprintln!("seeded {n} comments in {:.1} s", t.elapsed().as_secs_f64());
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute("PRAGMA synchronous = FULL; ANALYZE;")
            .expect("pragma");
    } else if let DbConn::Postgres(c) = conn {
        c.batch_execute("ANALYZE;").expect("analyze");
    }
    Seeded { big }
}

fn pages(cr: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = database_url(dir.path());
    let db = Database::open(&url, 1).expect("open the database");
    let seeded = {
        let mut conn = db.conn().expect("connection");
        seed(&mut conn)
    };
    drop(db);
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        database: url,
        data_dir: dir.path().join("data"),
        secret_key: SecretKey::new(vec![7; 32]).expect("key"),
        pool_size: 4,
        shutdown_timeout_secs: 1,
        secure_cookies: false,
        log_name: "yishiting.bench".into(),
        key_encryption_key: yishiting::crypto::ballot_key::KeyEncryptionKey::from_secret(
            "0202020202020202020202020202020202020202020202020202020202020202",
        )
        .expect("kek"),
        clock: yishiting::clock::Clock::default(),
        mail: None,
        demo: false,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let base = rt.block_on(async {
        let (server, addr) = yishiting::app::start_on(settings, listener).expect("start");
        tokio::spawn(server);
        format!("http://{addr}")
    });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    rt.block_on(async {
        let html = client
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("text");
        let marker = r#"name="csrf" value=""#;
        let at = html.find(marker).expect("csrf") + marker.len();
        let csrf = html[at..].split('"').next().expect("csrf").to_owned();
        let res = client
            .post(format!("{base}/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "bench"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 303, "logged in");
    });
    let rt = &rt;
    let get = |path: String| {
        let (client, base) = (client.clone(), base.clone());
        move || {
            rt.block_on(async {
                let res = client
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(res.status(), 200, "{path}");
                res.bytes().await.expect("body").len()
            })
        }
    };
    let big = seeded.big;
    let mut group = cr.benchmark_group("forum");
    group.sample_size(50);
    for sort in ["oldest", "newest", "most_replied"] {
        let mut f = get(format!("/c/bench/proposals/{big}?sort={sort}"));
        let bytes = f();
        eprintln!("proposal page ({sort}): {bytes} bytes");
        group.bench_function(format!("proposal_page_10k_comments_{sort}"), |b| {
            b.iter(&mut f)
        });
    }
    let mut f = get(format!("/c/bench/proposals/{big}/comments/{}", 1));
    group.bench_function("thread_page_2000_replies", |b| b.iter(&mut f));
    let mut f = get("/c/bench/proposals".to_owned());
    eprintln!("proposal list: {} bytes", f());
    group.bench_function("proposal_list_5k_proposals", |b| b.iter(&mut f));
    let mut f = get("/c/bench/proposals?status=open&page=100".to_owned());
    group.bench_function("proposal_list_5k_page_100", |b| b.iter(&mut f));
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
