//! All diesel code lives under this module.
//!
//! One connection type, [`DbConn`], covers both engines through diesel's `MultiConnection`;
//! queries are written once against the portable [`schema`]. Where an engine needs its own
//! SQL (migrations, pragmas, `BEGIN IMMEDIATE`), the code matches on the variant.

pub mod accounts;
pub mod audit;
pub mod ballots;
pub mod building_reports;
pub mod casting;
pub mod comments;
pub mod communities;
pub mod conventions;
pub mod elections;
pub mod notifications;
pub mod proposals;
pub mod resident_codes;
pub mod residents;
pub mod roster;
pub mod schema;
pub mod search;
pub mod tally;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{Backend, DatabaseUrl};

/// A connection to either engine.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

// Lookups by a unique key use `.load()` and take the row, not `.first()`: diesel's `.first()`
// binds `LIMIT ?`, and SQLite re-prepares a statement whose bound LIMIT changes its plan, so
// every `.first()` call parses and plans its SQL again (27% of the server's CPU when casting).

/// Errors of the data layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database connection failed: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database migration failed: {0}")]
    Migration(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// Opens connections of the one backend the URL names; never falls back to another engine.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

/// Pragmas for every SQLite connection: WAL for concurrent readers, foreign keys enforced,
/// a busy timeout instead of immediate `SQLITE_BUSY`, and `synchronous=FULL` so that a
/// committed transaction survives power loss.
/// The busy timeout comes first: switching to WAL takes a lock that other new
/// connections may hold for a moment.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;";

pub fn establish(url: &DatabaseUrl) -> Result<DbConn, diesel::ConnectionError> {
    match url.backend {
        Backend::Postgres => Ok(DbConn::Postgres(diesel::PgConnection::establish(
            &url.target,
        )?)),
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&url.target)?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection left inside a broken transaction must not go back to the pool.
        <DbConn as diesel::r2d2::R2D2Connection>::is_broken(conn)
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// The pool and what it is connected to.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    url: DatabaseUrl,
}

impl Database {
    /// Connect (creating the SQLite file and its directory if needed) and run pending migrations.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Self> {
        if let Some(path) = url.sqlite_path() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        // One direct connection first: a bad URL or an unusable file fails at once with the
        // driver's own message instead of after the pool's connection timeout.
        let mut first = establish(url)?;
        run_migrations(&mut first)?;
        drop(first);
        let manager = ConnectionManager { url: url.clone() };
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(15))
            .build(manager)?;
        Ok(Self {
            pool,
            url: url.clone(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn conn(&self) -> DbResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// A connection, waiting at most `timeout` for one.
    pub fn conn_timeout(&self, timeout: Duration) -> DbResult<PooledConn> {
        Ok(self.pool.get_timeout(timeout)?)
    }
}

/// Apply every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut DbConn) -> DbResult<()> {
    let result = match conn {
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| DbError::Migration(e.to_string()))
}

/// Revert every applied migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut DbConn) -> DbResult<()> {
    let result = match conn {
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| DbError::Migration(e.to_string()))
}

/// Names of the applied migrations, oldest first.
pub fn applied_migrations(conn: &mut DbConn) -> DbResult<Vec<String>> {
    let result = match conn {
        DbConn::Postgres(c) => c.applied_migrations(),
        DbConn::Sqlite(c) => c.applied_migrations(),
    };
    let mut versions: Vec<String> = result
        .map_err(|e| DbError::Migration(e.to_string()))?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    versions.sort();
    Ok(versions)
}

/// Run `f` in a write transaction. On SQLite the transaction starts with `BEGIN IMMEDIATE`,
/// taking the write lock up front: a deferred transaction that reads and then writes can
/// fail with `SQLITE_BUSY` without waiting, which would turn ordinary contention into errors.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Postgres(_) => conn.transaction(f),
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            }
        }
    }
}

/// Is the database reachable and answering?
pub fn ping(conn: &mut DbConn) -> DbResult<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Write a consistent copy of a (possibly running) SQLite database to `dest`.
/// `VACUUM INTO` reads inside one transaction, so concurrent writers neither block nor tear it.
pub fn sqlite_backup(conn: &mut DbConn, dest: &std::path::Path) -> anyhow::Result<()> {
    let DbConn::Sqlite(c) = conn else {
        anyhow::bail!("backup works on SQLite; back up PostgreSQL with pg_dump (see README)");
    };
    if dest.exists() {
        anyhow::bail!("{} already exists; choose a new file", dest.display());
    }
    let dest = dest
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be valid UTF-8"))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(dest)
        .execute(c)?;
    Ok(())
}

impl DbError {
    /// Did a UNIQUE constraint refuse the write?
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}
