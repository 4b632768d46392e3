//! Seed a database for the casting load test (scripts/loadtest.sh), or measure the raw durable
//! single-row commit rate of the same database engine and pragmas.
//!
//! Seeding: community `loadtest`, one building per 100 units, N delivered units each with its
//! own owner, an organiser, and N owner accounts linked to those owners. Bearer tokens are
//! minted directly (a session row plus a JWT signed with the server's secret key), because the
//! login endpoint is rate-limited. Writes `OUT/organiser.token` and `OUT/tokens.txt` (one
//! bearer token per line, voter order).
//!
//! ```text
//! cargo run --release --example loadtest_seed -- \
//!     --database-url sqlite:///tmp/load/yst.sqlite3 --voters 500 \
//!     --secret-key "$YISHITING_SECRET_KEY" --out /tmp/load
//! cargo run --release --example loadtest_seed -- \
//!     --commit-rate --database-url sqlite:///tmp/load/commit-rate.sqlite3 --seconds 5
//! ```
//!
//! The commit-rate mode opens its database with `yishiting::db::establish`, so a SQLite file
//! gets exactly the service's pragmas (busy_timeout, WAL, synchronous=FULL, foreign keys), and
//! commits one row per `BEGIN IMMEDIATE` transaction (`yishiting::db::write_tx`) in a loop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

use yishiting::config::DatabaseUrl;
use yishiting::crypto::tokens::{self, Claims};
use yishiting::db::accounts::{self, NewUser};
use yishiting::db::communities::{self, NewCommunity};
use yishiting::db::{roster, write_tx, Database, DbConn};
use yishiting::domain::area::AreaRecord;
use yishiting::domain::headcount::{OwnerKind, UnitStatus};
use yishiting::domain::roles::{GrantedRole, OrganiserBody};
use yishiting::domain::roster_csv::{RosterFile, RosterOwner, RosterUnit};

const SLUG: &str = "loadtest";
const UNITS_PER_BUILDING: usize = 100;
/// A shared password for every seeded account, so that a person can log in to look around.
/// This is a throw-away load-test database: never seed one that real people use.
const PASSWORD: &str = "loadtest-password";

#[derive(Debug, Parser)]
#[command(about = "Seed the casting load test, or measure the raw durable commit rate")]
struct Args {
    /// sqlite://FILE, a file path, or postgres://…
    #[arg(long)]
    database_url: String,
    /// Number of owners (voters) to create
    #[arg(long, default_value_t = 500)]
    voters: usize,
    /// The secret key the server will use (YISHITING_SECRET_KEY), at least 32 characters
    #[arg(long, env = "YISHITING_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Directory for organiser.token and tokens.txt
    #[arg(long)]
    out: Option<PathBuf>,
    /// Instead of seeding: commit one row per durable transaction for --seconds and print
    /// the rate (uses a scratch table in the given database)
    #[arg(long)]
    commit_rate: bool,
    /// Duration of the commit-rate measurement
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let url = DatabaseUrl::parse(&args.database_url)?;
    if args.commit_rate {
        return commit_rate(&url, Duration::from_secs_f64(args.seconds));
    }
    let secret = args
        .secret_key
        .context("--secret-key (or YISHITING_SECRET_KEY) is required to sign tokens")?;
    if secret.len() < 32 {
        bail!("the secret key must be at least 32 characters long");
    }
    let out = args.out.context("--out DIR is required")?;
    if args.voters == 0 {
        bail!("--voters must be at least 1");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let started = Instant::now();
    let db = Database::open(&url, 1)?;
    let mut conn = db.conn()?;
    let (organiser, voters) = seed(&mut conn, args.voters)?;
    let organiser_token = mint_token(&mut conn, secret.as_bytes(), organiser)?;
    let mut lines = String::with_capacity(voters.len() * 200);
    for user_id in &voters {
        lines.push_str(&mint_token(&mut conn, secret.as_bytes(), *user_id)?);
        lines.push('\n');
    }
    write_file(
        &out.join("organiser.token"),
        &format!("{organiser_token}\n"),
    )?;
    write_file(&out.join("tokens.txt"), &lines)?;
    println!(
        "seeded community `{SLUG}` with {} voters in {:.1} s ({}); tokens in {}",
        voters.len(),
        started.elapsed().as_secs_f64(),
        url.redacted(),
        out.display()
    );
    Ok(())
}

fn building_name(b: usize) -> String {
    format!("LT{b:02}")
}

/// Community, buildings, roster, organiser and owner accounts, in one transaction.
/// Returns the organiser's user id and the voters' user ids in voter order.
fn seed(conn: &mut DbConn, n: usize) -> anyhow::Result<(i64, Vec<i64>)> {
    let password_hash = yishiting::crypto::passwords::hash_password(PASSWORD)?;
    write_tx(conn, |conn| {
        if communities::by_slug(conn, SLUG)?.is_some() {
            bail!("community `{SLUG}` already exists: seed a fresh database");
        }
        let now = Utc::now().naive_utc();
        let community = communities::insert(
            conn,
            &NewCommunity {
                slug: SLUG,
                name: "压力测试小区",
                name_en: "Load test",
                district: "load test",
                created_at: now,
            },
        )?;
        let cid = community.id;
        let buildings = n.div_ceil(UNITS_PER_BUILDING);
        for b in 1..=buildings {
            roster::add_building(conn, cid, &building_name(b))?;
        }
        let owner_ref = |i: usize| format!("LT{i:05}");
        let units = (0..n)
            .map(|i| RosterUnit {
                building: building_name(i / UNITS_PER_BUILDING + 1),
                room: format!("{:04}", i % UNITS_PER_BUILDING + 101),
                // 80.00 m² plus i hundredths, so that every unit differs.
                area: AreaRecord {
                    registry: Some(8000 + i as i64),
                    survey: None,
                    contract: None,
                },
                status: UnitStatus::Delivered,
                owner_refs: vec![owner_ref(i)],
            })
            .collect();
        let owners = (0..n)
            .map(|i| RosterOwner {
                owner_ref: owner_ref(i),
                name: format!("业主{i:05}"),
                kind: OwnerKind::Person,
                phone: None,
            })
            .collect();
        roster::apply(conn, cid, &RosterFile { units, owners })?;

        let organiser = accounts::insert_user(
            conn,
            &NewUser {
                login: "lt-organiser",
                display_name: "压力测试 组织者",
                password_hash: &password_hash,
                is_admin: false,
                community_id: None,
                owner_id: None,
                lang: None,
                created_at: now,
                resident_ref: None,
            },
        )?;
        accounts::grant_role(
            conn,
            cid,
            organiser.id,
            GrantedRole::Organiser,
            None,
            Some(OrganiserBody::OwnersCommittee.as_str()),
            None,
        )?;

        let owner_ids: std::collections::HashMap<String, (i64, String)> =
            roster::owners(conn, cid)?
                .into_iter()
                .map(|o| (o.owner_ref, (o.id, o.name)))
                .collect();
        let mut voters = Vec::with_capacity(n);
        for i in 0..n {
            let (owner_id, name) = owner_ids
                .get(&owner_ref(i))
                .context("a seeded owner is missing from the roster")?;
            let login = format!("lt-voter-{i:05}");
            let user = accounts::insert_user(
                conn,
                &NewUser {
                    login: &login,
                    display_name: name,
                    password_hash: &password_hash,
                    is_admin: false,
                    community_id: Some(cid),
                    owner_id: Some(*owner_id),
                    lang: None,
                    created_at: now,
                    resident_ref: None,
                },
            )?;
            voters.push(user.id);
        }
        Ok((organiser.id, voters))
    })
}

/// Open a session and sign its token, as `yishiting::auth::open_session` does.
fn mint_token(conn: &mut DbConn, secret: &[u8], user_id: i64) -> anyhow::Result<String> {
    let sid = yishiting::crypto::random_hex(16)?;
    let now = Utc::now();
    let expires = now + chrono::Duration::hours(yishiting::auth::SESSION_HOURS);
    accounts::create_session(conn, &sid, user_id, expires.naive_utc())?;
    tokens::issue_jwt(
        secret,
        &Claims {
            sub: user_id.to_string(),
            sid,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        },
    )
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// One row per durable transaction, as fast as one connection can go.
fn commit_rate(url: &DatabaseUrl, duration: Duration) -> anyhow::Result<()> {
    if let Some(path) = url.sqlite_path() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
    }
    // The service's own connection set-up: on SQLite busy_timeout, WAL, synchronous=FULL.
    let mut conn = yishiting::db::establish(url)?;
    conn.batch_execute(
        "DROP TABLE IF EXISTS loadtest_commit_rate;
         CREATE TABLE loadtest_commit_rate (id BIGINT PRIMARY KEY, payload TEXT NOT NULL);",
    )?;
    if let DbConn::Sqlite(c) = &mut conn {
        // Show what the measurement ran under.
        #[derive(diesel::QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            journal_mode: String,
        }
        #[derive(diesel::QueryableByName)]
        struct Sync {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let mode: Vec<Mode> = diesel::sql_query("PRAGMA journal_mode").load(c)?;
        let sync: Vec<Sync> = diesel::sql_query("PRAGMA synchronous").load(c)?;
        eprintln!(
            "commit-rate: journal_mode={} synchronous={} (2 = FULL)",
            mode.first().map(|m| m.journal_mode.as_str()).unwrap_or("?"),
            sync.first().map(|s| s.synchronous).unwrap_or(-1)
        );
    }
    // About the size of one ballot-log leaf row.
    let payload = "x".repeat(300);
    let started = Instant::now();
    let mut n: i64 = 0;
    while started.elapsed() < duration {
        let id = n;
        write_tx(&mut conn, |conn| -> anyhow::Result<()> {
            diesel::sql_query("INSERT INTO loadtest_commit_rate (id, payload) VALUES ($1, $2)")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .bind::<diesel::sql_types::Text, _>(&payload)
                .execute(conn)?;
            Ok(())
        })?;
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    conn.batch_execute("DROP TABLE loadtest_commit_rate")?;
    println!(
        "commit_rate backend={} commits={n} seconds={secs:.3} per_second={:.1}",
        url.backend.name(),
        n as f64 / secs
    );
    Ok(())
}
