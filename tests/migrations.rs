//! Both migration trees stay in step, and every migration goes up, down and up again.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use diesel::RunQueryDsl;
use yishiting::db;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| {
            for f in ["up.sql", "down.sql"] {
                assert!(
                    e.path().join(f).is_file(),
                    "{} lacks {f}",
                    e.path().display()
                );
            }
            e.file_name().to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
}

fn count_communities(conn: &mut db::DbConn) -> diesel::QueryResult<i64> {
    use diesel::prelude::*;
    use yishiting::db::schema::communities;
    communities::table.count().get_result(conn)
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let test_db = common::TestDb::new();
    let mut conn = test_db.connect();
    let all = migration_names(if test_db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    });
    let versions: BTreeSet<String> = all
        .iter()
        .map(|n| n.split('_').next().unwrap().replace('-', ""))
        .collect();

    db::run_migrations(&mut conn).unwrap();
    let applied: BTreeSet<String> = db::applied_migrations(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(applied, versions);
    assert_eq!(count_communities(&mut conn).unwrap(), 0);

    db::revert_all_migrations(&mut conn).unwrap();
    assert!(db::applied_migrations(&mut conn).unwrap().is_empty());
    assert!(
        count_communities(&mut conn).is_err(),
        "tables remain after reverting"
    );

    db::run_migrations(&mut conn).unwrap();
    assert_eq!(count_communities(&mut conn).unwrap(), 0);
    // Running again is a no-op.
    db::run_migrations(&mut conn).unwrap();
    let applied: BTreeSet<String> = db::applied_migrations(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(applied, versions);
}

#[test]
fn sqlite_connections_are_durable_and_enforce_foreign_keys() {
    let test_db = common::TestDb::new();
    if test_db.is_postgres() {
        // PostgreSQL is durable and enforces foreign keys by itself; this checks SQLite's pragmas.
        return;
    }
    let mut conn = test_db.connect();
    #[derive(diesel::QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut pragma = |name: &str, column: &str| -> String {
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS v FROM pragma_{name}"
        ))
        .get_result::<Pragma>(&mut conn)
        .unwrap()
        .v
    };
    assert_eq!(pragma("journal_mode", "journal_mode"), "wal");
    assert_eq!(pragma("foreign_keys", "foreign_keys"), "1");
    assert_eq!(pragma("synchronous", "synchronous"), "2"); // FULL
    assert_eq!(pragma("busy_timeout", "timeout"), "10000");
}
