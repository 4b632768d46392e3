//! Two server processes on one database, casting concurrently into the same ballot, produce
//! one consistent log: no gap, no duplicate index, every receipt provable.
//! On PostgreSQL (`YISHITING_TEST_POSTGRES_URL`) this is the deployment shape "several
//! stateless app processes on one database"; on SQLite it checks the same with a shared file.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::Utc;
use common::ballots::*;
use reqwest::Method;
use serde_json::{json, Value};
use yishiting::config::Backend;
use yishiting::crypto::tokens::{self, Claims};
use yishiting::db::{accounts, DbConn};
use yishiting::domain::merkle;

const BIN: &str = env!("CARGO_BIN_EXE_yishiting");
const SECRET: &str = "two-processes-share-this-secret-key-0123456789";
const KEK: &str = "0202020202020202020202020202020202020202020202020202020202020202";
const VOTERS: usize = 40;

struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .env("DATABASE_URL", database_url)
            .env("YISHITING_BIND", "127.0.0.1:0")
            .env("YISHITING_SECRET_KEY", SECRET)
            .env("YISHITING_KEY_ENCRYPTION_KEY", KEK)
            .env("YISHITING_LOG_NAME", "two.example")
            .env("YISHITING_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn yishiting");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let base = loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "no address printed");
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                if line.contains("yishiting: http://") {
                    break url.to_owned();
                }
            }
        };
        // Keep reading so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Server {
            child,
            base,
            _data: data,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mint(conn: &mut DbConn, user_id: i64) -> String {
    let sid = yishiting::crypto::random_hex(16).unwrap();
    let expires = Utc::now() + chrono::Duration::hours(2);
    accounts::create_session(conn, &sid, user_id, expires.naive_utc()).unwrap();
    tokens::issue_jwt(
        SECRET.as_bytes(),
        &Claims {
            sub: user_id.to_string(),
            sid,
            iat: Utc::now().timestamp(),
            exp: expires.timestamp(),
        },
    )
    .unwrap()
}

fn new_user(conn: &mut DbConn, login: &str, admin: bool, owner: Option<(i64, i64)>) -> i64 {
    accounts::insert_user(
        conn,
        &accounts::NewUser {
            login,
            display_name: login,
            password_hash: "$argon2id$unused",
            is_admin: admin,
            community_id: owner.map(|o| o.0),
            owner_id: owner.map(|o| o.1),
            lang: None,
            created_at: Utc::now().naive_utc(),
            resident_ref: None,
        },
    )
    .unwrap()
    .id
}

async fn call(base: &str, method: Method, path: &str, token: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test]
async fn two_processes_cast_into_one_consistent_log() {
    let db = common::TestDb::new();
    let url = match db.url.backend {
        Backend::Sqlite => format!("sqlite://{}", db.url.target),
        Backend::Postgres => db.url.target.clone(),
    };
    let a = Server::start(&url);
    let b = Server::start(&url);

    // An administrator and an organiser; the community and its roster through the API.
    let mut conn = db.connect();
    let admin_id = new_user(&mut conn, "admin", true, None);
    let admin = mint(&mut conn, admin_id);
    call(
        &a.base,
        Method::POST,
        "/api/v1/communities",
        &admin,
        json!({ "slug": "liangjin", "name": "两进社区", "district": "" }),
    )
    .await;
    let organiser_id = new_user(&mut conn, "organiser", false, None);
    call(
        &a.base,
        Method::POST,
        "/api/v1/communities/liangjin/roles",
        &admin,
        json!({ "login": "organiser", "role": "organiser", "body": "owners_committee" }),
    )
    .await;
    let organiser = mint(&mut conn, organiser_id);
    call(
        &b.base,
        Method::POST,
        "/api/v1/communities/liangjin/buildings",
        &organiser,
        json!({ "name": "1号楼" }),
    )
    .await;
    let mut csv = String::from("building,room,area_registry,area_survey,area_contract,status,owner_ref,owner_name,owner_kind,owner_phone\n");
    for i in 0..VOTERS {
        csv.push_str(&format!(
            "1号楼,{},{}.50,,,delivered,O{i},业主{i},person,\n",
            101 + i,
            60 + i
        ));
    }
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/communities/liangjin/roster/import?confirm=true",
            a.base
        ))
        .bearer_auth(&organiser)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let community = yishiting::db::communities::by_slug(&mut conn, "liangjin")
        .unwrap()
        .unwrap();
    let owners = yishiting::db::roster::owners(&mut conn, community.id).unwrap();
    assert_eq!(owners.len(), VOTERS);
    let voters: Vec<String> = owners
        .iter()
        .map(|o| {
            let id = new_user(
                &mut conn,
                &format!("owner{}", o.id),
                false,
                Some((community.id, o.id)),
            );
            mint(&mut conn, id)
        })
        .collect();

    // A ballot announced through one process, opening in two seconds.
    call(
        &a.base,
        Method::PUT,
        "/api/v1/communities/liangjin/notice",
        &organiser,
        json!({ "days": 0, "reason": "test" }),
    )
    .await;
    let opens = Utc::now().timestamp() + 2;
    let mut def = definition(opens, opens + DAY);
    def["kind"] = json!("custom");
    let id = call(
        &a.base,
        Method::POST,
        "/api/v1/communities/liangjin/ballots",
        &organiser,
        def,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    call(
        &b.base,
        Method::POST,
        &format!("/api/v1/communities/liangjin/ballots/{id}/transitions"),
        &organiser,
        json!({ "action": "announce" }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;

    // Every voter casts twice, once through each process, all at the same time.
    let bases = Arc::new([a.base.clone(), b.base.clone()]);
    let mut tasks = Vec::new();
    for (i, token) in voters.iter().enumerate() {
        for round in 0..2 {
            let (bases, token) = (bases.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let base = &bases[(i + round) % 2];
                let res = reqwest::Client::new()
                    .post(format!("{base}/api/v1/communities/liangjin/ballots/{id}/casts"))
                    .bearer_auth(&token)
                    .json(&json!({ "nonce": nonce(), "answers": answers(if round == 0 { "agree" } else { "disagree" }, &["o2"]) }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()
            }));
        }
    }
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.push(t.await.unwrap());
    }
    let total = 2 * VOTERS as u64;
    let mut indices: Vec<u64> = receipts
        .iter()
        .map(|r| r["leaf_index"].as_u64().unwrap())
        .collect();
    indices.sort();
    assert_eq!(
        indices,
        (0..total).collect::<Vec<_>>(),
        "no gap and no duplicate index"
    );

    // The log as the public sees it, from either process.
    let get = |base: String, path: String| async move {
        reqwest::get(format!(
            "{base}/api/v1/communities/liangjin/ballots/{id}/{path}"
        ))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
    };
    let sth_a = get(a.base.clone(), "log/sth".into()).await;
    let sth_b = get(b.base.clone(), "log/sth".into()).await;
    assert_eq!(sth_a, sth_b);
    assert_eq!(sth_a["tree_size"], total);
    let vkey = get(a.base.clone(), "manifest".into()).await["manifest"]["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (size, root) = open_checkpoint(sth_a["checkpoint"].as_str().unwrap(), &vkey);
    assert_eq!(size, total);
    let mut hashes = Vec::new();
    let mut start = 0;
    while start < total {
        let page = get(
            b.base.clone(),
            format!("log/entries?start={start}&end={}", total - 1),
        )
        .await;
        for e in page["entries"].as_array().unwrap() {
            assert_eq!(e["leaf_index"].as_u64().unwrap(), start);
            hashes.push(merkle::leaf_hash(&b64d(e["leaf_input"].as_str().unwrap())));
            start += 1;
        }
    }
    assert_eq!(
        merkle::root_of(&hashes),
        root,
        "one tree, whichever process appended"
    );

    // Every receipt verifies, and its checkpoint is consistent with the final one.
    for r in &receipts {
        let (rsize, rroot) = open_checkpoint(r["checkpoint"].as_str().unwrap(), &vkey);
        assert_eq!(verify_receipt(r), rsize);
        let base = if r["leaf_index"].as_u64().unwrap() % 2 == 0 {
            &a.base
        } else {
            &b.base
        };
        let p = get(
            base.clone(),
            format!("log/sth-consistency?first={rsize}&second={total}"),
        )
        .await;
        let proof: Vec<merkle::Hash> = p["consistency"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| b64d(h.as_str().unwrap()).try_into().unwrap())
            .collect();
        merkle::verify_consistency(rsize, total, &rroot, &root, &proof).expect("consistent");
    }
    let roll = get(a.base.clone(), "roll".into()).await;
    assert_eq!(roll["voters"].as_array().unwrap().len(), VOTERS);
    drop(conn);
}
