//! The binary as an operator uses it: help, first start, graceful shutdown, backup and restore.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use yishiting::db::communities::{self, NewCommunity};

const BIN: &str = env!("CARGO_BIN_EXE_yishiting");

fn command(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_URL_FILE")
        .env_remove("YISHITING_DATA_DIR")
        .env_remove("YISHITING_SECRET_KEY")
        .env_remove("YISHITING_SECRET_KEY_FILE")
        .env("YISHITING_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    cmd
}

/// A running `yishiting` process and the address it printed.
struct Running {
    child: Child,
    base: String,
    out: BufReader<std::process::ChildStdout>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn yishiting");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut base = None;
        while base.is_none() {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "yishiting printed no address"
            );
            if line.contains("yishiting: http://") {
                base = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(str::to_owned);
            }
        }
        Running {
            child,
            base: base.unwrap(),
            out,
        }
    }

    /// The next line the process prints.
    fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "yishiting did not stop in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_lists_commands_and_options() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "backup",
        "--bind",
        "--database-url",
        "--data-dir",
        "YISHITING_BIND",
        "DATABASE_URL",
    ] {
        assert!(
            text.contains(word),
            "--help does not mention {word}:\n{text}"
        );
    }
    let out = Command::new(BIN).arg("--no-such-flag").output().unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn first_start_creates_the_default_sqlite_database_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    for sig in ["TERM", "INT"] {
        let mut app = Running::start(command(dir.path()));
        let res = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["database"], "sqlite");
        assert!(dir.path().join("data/yishiting.sqlite3").is_file());
        assert!(dir.path().join("data/secret_key").is_file());
        // A request in flight when the signal arrives still gets its answer.
        let page = tokio::spawn(reqwest::get(format!("{}/", app.base)));
        app.signal(sig);
        let status = app.wait(Duration::from_secs(20));
        assert!(status.success(), "SIG{sig}: exit {status:?}");
        if let Ok(Ok(res)) = page.await {
            assert_eq!(res.status(), 200);
        }
    }
}

#[tokio::test]
async fn backup_of_a_running_database_restores() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("live.sqlite3");
    let db_url = format!("sqlite://{}", db_path.display());
    let mut cmd = command(dir.path());
    cmd.env("DATABASE_URL", &db_url);
    let mut app = Running::start(cmd);

    // Write through the data layer while the server runs.
    let url = yishiting::config::DatabaseUrl::parse(&db_url).unwrap();
    let mut conn = yishiting::db::establish(&url).unwrap();
    communities::insert(
        &mut conn,
        &NewCommunity {
            slug: "sanyijing",
            name: "三义井社区",
            name_en: "Sanyijing",
            district: "雨湖区",
            created_at: Utc::now().naive_utc(),
        },
    )
    .unwrap();

    let backup = dir.path().join("backup.sqlite3");
    let out = command(dir.path())
        .env("DATABASE_URL", &db_url)
        .args(["backup", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(backup.is_file());

    // A second backup to the same file is refused and leaves it alone.
    let before = std::fs::read(&backup).unwrap();
    let out = command(dir.path())
        .env("DATABASE_URL", &db_url)
        .args(["backup", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&backup).unwrap(), before);

    app.signal("TERM");
    assert!(app.wait(Duration::from_secs(20)).success());

    // Restore: the backup file becomes the database of a new server.
    let restored = dir.path().join("restored.sqlite3");
    std::fs::copy(&backup, &restored).unwrap();
    let mut cmd = command(dir.path());
    cmd.env("DATABASE_URL", format!("sqlite://{}", restored.display()));
    let app = Running::start(cmd);
    let list: serde_json::Value = reqwest::get(format!("{}/api/v1/communities", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "三义井社区");
}

#[test]
fn backup_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    // No database yet: nothing is created.
    let out = command(dir.path())
        .env("DATABASE_URL", "sqlite://missing.sqlite3")
        .args(["backup", "b.sqlite3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
    assert!(!dir.path().join("missing.sqlite3").exists());
    // PostgreSQL is backed up with its own tools.
    let out = command(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .args(["backup", "b.sqlite3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .env("DATABASE_URL", "mysql://localhost/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database"));
    let _ = common::postgres_admin_url;
}

#[tokio::test]
async fn secrets_can_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "k".repeat(40) + "\n").unwrap();
    let mut cmd = command(dir.path());
    cmd.env("YISHITING_SECRET_KEY_FILE", &key_file);
    let mut app = Running::start(cmd);
    assert_eq!(
        reqwest::get(format!("{}/healthz", app.base))
            .await
            .unwrap()
            .status(),
        200
    );
    // The key came from the file: none was generated.
    assert!(!dir.path().join("data/secret_key").exists());
    app.signal("TERM");
    assert!(app.wait(Duration::from_secs(20)).success());

    // Both ways at once, or a short key, is refused before anything starts.
    let out = command(dir.path())
        .env("YISHITING_SECRET_KEY_FILE", &key_file)
        .env("YISHITING_SECRET_KEY", "x".repeat(40))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not both"));
    let out = command(dir.path())
        .env("YISHITING_SECRET_KEY", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32"));
}

#[tokio::test]
async fn an_empty_database_prints_a_one_time_administrator_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Running::start(command(dir.path()));
    let line = app.next_line();
    let url = line
        .split_whitespace()
        .find(|w| w.contains("/setup/"))
        .unwrap_or_else(|| panic!("no setup link in {line:?}"))
        .to_owned();
    let html = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(html.contains("创建第一个管理员账户"));
    app.signal("TERM");
    assert!(app.wait(Duration::from_secs(20)).success());
}

#[test]
fn roster_import_from_the_command_line_previews_then_applies() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("y.sqlite3").display());
    let url = yishiting::config::DatabaseUrl::parse(&db_url).unwrap();
    {
        let db = yishiting::db::Database::open(&url, 1).unwrap();
        let mut conn = db.conn().unwrap();
        let c = communities::insert(
            &mut conn,
            &NewCommunity {
                slug: "sanyijing",
                name: "三义井社区",
                name_en: "",
                district: "",
                created_at: Utc::now().naive_utc(),
            },
        )
        .unwrap();
        for b in ["1号楼", "2号楼"] {
            yishiting::db::roster::add_building(&mut conn, c.id, b).unwrap();
        }
    }
    let run = |args: &[&str]| {
        command(dir.path())
            .env("DATABASE_URL", &db_url)
            .args(args)
            .output()
            .unwrap()
    };
    let good = dir.path().join("good.csv");
    std::fs::write(&good, common::SAMPLE_ROSTER).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        common::SAMPLE_ROSTER
            .replace("89.50", "\"89,5\"")
            .replace("2号楼,201", "9号楼,201"),
    )
    .unwrap();

    // A bad file: every problem in both languages, exit 1, nothing changed.
    let out = run(&[
        "roster",
        "import",
        "--community",
        "sanyijing",
        bad.to_str().unwrap(),
        "--yes",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("逗号") && err.contains("comma"),
        "{err}"
    );
    assert!(err.contains("9号楼"), "{err}");
    // Without --yes: a preview only.
    let out = run(&[
        "roster",
        "import",
        "--community",
        "sanyijing",
        good.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("6 added") && text.contains("headcount 0 -> 4") && text.contains("--yes"),
        "{text}"
    );
    let out = run(&["roster", "export", "--community", "sanyijing"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "only the header: nothing applied"
    );
    // With --yes it is applied.
    let out = run(&[
        "roster",
        "import",
        "--community",
        "sanyijing",
        good.to_str().unwrap(),
        "--yes",
    ]);
    assert!(out.status.success());
    let out = run(&["roster", "export", "--community", "sanyijing"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);
    // An unknown community is a clear error.
    let out = run(&[
        "roster",
        "import",
        "--community",
        "nowhere",
        good.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no community"));
}

#[tokio::test]
async fn a_closed_standard_output_does_not_stop_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    // Like `yishiting | head -1`: the reader goes away after the first line.
    drop(out);
    for _ in 0..3 {
        let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
        assert_eq!(res.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "the service stopped");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn demo_seeds_a_community_and_an_open_ballot() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(dir.path());
    cmd.arg("--demo");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn yishiting");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut ballot, mut base) = (None, None);
    while base.is_none() {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "no address printed");
        if line.contains("demo ballot:") {
            ballot = line.split_whitespace().last().map(str::to_owned);
        }
        if line.contains("yishiting: http://") {
            base = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(str::to_owned);
        }
    }
    let (ballot, base) = (ballot.expect("a demo ballot line"), base.unwrap());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let html = reqwest::get(format!("{base}{ballot}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("data-status=\"open\""),
        "the demo ballot opens"
    );
    let _ = child.kill();
    let _ = child.wait();
}
