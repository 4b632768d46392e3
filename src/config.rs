//! Configuration from environment variables (and the command line, which overrides them).
//!
//! Every secret can be given directly (`NAME`) or as a path to a file holding it (`NAME_FILE`),
//! so that container and systemd credential stores work without putting secrets in the environment.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Which database engine a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A parsed `DATABASE_URL`: the backend and the string its driver understands.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// For SQLite a file path; for PostgreSQL the URL as given.
    pub target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

impl DatabaseUrl {
    /// `sqlite://path`, `sqlite:path` or a bare file path give SQLite;
    /// `postgres://` or `postgresql://` give PostgreSQL.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("DATABASE_URL is empty");
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: raw.to_owned(),
            });
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.contains("://") {
            bail!("DATABASE_URL names an unsupported database: use sqlite:// or postgres://");
        }
        if path.is_empty() {
            bail!("DATABASE_URL names no SQLite file");
        }
        Ok(Self {
            backend: Backend::Sqlite,
            target: path.to_owned(),
        })
    }

    /// The SQLite file, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        (self.backend == Backend::Sqlite).then(|| Path::new(&self.target))
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => redact_password(&self.target),
        }
    }
}

fn redact_password(url: &str) -> String {
    // postgres://user:password@host/db -> postgres://user:***@host/db
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

/// Read a secret from `NAME`, or from the file named by `NAME_FILE`.
/// Setting both is an error, so that a stale value cannot silently win.
pub fn secret_from_env(name: &str) -> anyhow::Result<Option<String>> {
    let direct = std::env::var(name).ok().filter(|v| !v.is_empty());
    let file_var = format!("{name}_FILE");
    let file = std::env::var(&file_var).ok().filter(|v| !v.is_empty());
    match (direct, file) {
        (Some(_), Some(_)) => bail!("set either {name} or {file_var}, not both"),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => {
            let v = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {file_var} ({path})"))?;
            let v = v.trim_end_matches(['\n', '\r']).to_owned();
            if v.is_empty() {
                bail!("{file_var} ({path}) is empty");
            }
            Ok(Some(v))
        }
        (None, None) => Ok(None),
    }
}

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Key for signing session tokens and CSRF tokens (at least 32 bytes).
    pub secret_key: SecretKey,
    pub pool_size: u32,
    /// Seconds that in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Mark cookies `Secure` (set when the service is reached over HTTPS).
    pub secure_cookies: bool,
    /// The deployment's name in ballot log origins (`YISHITING_LOG_NAME`), e.g. `vote.example.cn`.
    pub log_name: String,
    /// Encrypts ballot signing keys at rest.
    pub key_encryption_key: crate::crypto::ballot_key::KeyEncryptionKey,
    pub clock: crate::clock::Clock,
    /// Email for notifications (`YISHITING_SMTP_URL` and `YISHITING_MAIL_FROM`, or
    /// `YISHITING_MAIL_DIR`); `None`: the inbox only.
    pub mail: Option<crate::notify::mail::MailSettings>,
    /// Started with `--demo` (public passwords in the database): the administrator may move
    /// the clock forward (`POST /api/v1/demo/clock`) and sign-in limits are relaxed, so a
    /// script can run a whole re-election in a minute. Never on a real deployment.
    pub demo: bool,
}

/// A secret that never prints.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> anyhow::Result<Self> {
        if bytes.len() < 32 {
            bail!("secret keys must be at least 32 bytes long");
        }
        Ok(Self(bytes))
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

pub const DEFAULT_LOG_NAME: &str = "yishiting.localhost";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_SQLITE_FILE: &str = "yishiting.sqlite3";

/// The database: the given URL, else `DATABASE_URL` (or `DATABASE_URL_FILE`),
/// else SQLite in the data directory.
pub fn resolve_database(given: Option<String>, data_dir: &Path) -> anyhow::Result<DatabaseUrl> {
    match given.or(secret_from_env("DATABASE_URL")?) {
        Some(url) => DatabaseUrl::parse(&url),
        None => Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            target: data_dir
                .join(DEFAULT_SQLITE_FILE)
                .to_string_lossy()
                .into_owned(),
        }),
    }
}

/// The data directory: the given one, else `YISHITING_DATA_DIR`, else `./data`.
pub fn resolve_data_dir(given: Option<PathBuf>) -> PathBuf {
    given
        .or_else(|| {
            std::env::var("YISHITING_DATA_DIR")
                .ok()
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

impl Settings {
    /// Settings from the environment; `bind`, `database_url` and `data_dir` override it when given.
    pub fn from_env(
        bind: Option<String>,
        database_url: Option<String>,
        data_dir: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let data_dir = resolve_data_dir(data_dir);
        let bind = bind
            .or_else(|| env("YISHITING_BIND"))
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let database = resolve_database(database_url, &data_dir)?;
        let pool_size = match env("YISHITING_DB_POOL_SIZE") {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .context("YISHITING_DB_POOL_SIZE must be a whole number from 1 to 256")?,
            None => 8,
        };
        let shutdown_timeout_secs = match env("YISHITING_SHUTDOWN_TIMEOUT") {
            Some(v) => v
                .parse::<u64>()
                .context("YISHITING_SHUTDOWN_TIMEOUT must be a whole number of seconds")?,
            None => 30,
        };
        let secure_cookies = matches!(
            env("YISHITING_SECURE_COOKIES").as_deref(),
            Some("1" | "true" | "yes")
        );
        let secret_key = load_or_create_secret_key(&data_dir)?;
        let key_encryption_key =
            crate::crypto::ballot_key::KeyEncryptionKey::load_or_create(&data_dir)?;
        let log_name = env("YISHITING_LOG_NAME").unwrap_or_else(|| DEFAULT_LOG_NAME.to_owned());
        if !crate::crypto::note::is_valid_name(&format!("{log_name}/x/ballots/1")) {
            bail!("YISHITING_LOG_NAME must be a host-like name without spaces or '+'");
        }
        Ok(Self {
            bind,
            database,
            data_dir,
            secret_key,
            pool_size,
            shutdown_timeout_secs,
            secure_cookies,
            log_name,
            key_encryption_key,
            clock: crate::clock::Clock::default(),
            mail: crate::notify::mail::MailSettings::from_env()?,
            demo: false,
        })
    }
}

/// `YISHITING_SECRET_KEY` (or `_FILE`); otherwise a key kept in the data directory,
/// made on first start, so that a restart does not end every session.
/// Several processes serving one PostgreSQL database must share the key: set it.
fn load_or_create_secret_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    if let Some(v) = secret_from_env("YISHITING_SECRET_KEY")? {
        return SecretKey::new(v.into_bytes())
            .context("YISHITING_SECRET_KEY must be at least 32 characters long");
    }
    let path = data_dir.join("secret_key");
    match std::fs::read(&path) {
        Ok(bytes) => {
            SecretKey::new(bytes).with_context(|| format!("{} is too short", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
            let mut bytes = vec![0u8; 64];
            crate::crypto::fill_random(&mut bytes)?;
            write_private_file(&path, &bytes)?;
            Ok(SecretKey(bytes))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Write a file readable by its owner only.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        let u = DatabaseUrl::parse("sqlite://data/x.sqlite3").unwrap();
        assert_eq!(
            (u.backend, u.target.as_str()),
            (Backend::Sqlite, "data/x.sqlite3")
        );
        let u = DatabaseUrl::parse("sqlite:///tmp/a.db").unwrap();
        assert_eq!(u.target, "/tmp/a.db");
        let u = DatabaseUrl::parse("sqlite:rel.db").unwrap();
        assert_eq!(u.target, "rel.db");
        let u = DatabaseUrl::parse("/var/lib/y.sqlite3").unwrap();
        assert_eq!(
            (u.backend, u.target.as_str()),
            (Backend::Sqlite, "/var/lib/y.sqlite3")
        );
        let u = DatabaseUrl::parse("postgres://u:p@h/db").unwrap();
        assert_eq!(u.backend, Backend::Postgres);
        let u = DatabaseUrl::parse("postgresql://h/db").unwrap();
        assert_eq!(u.backend, Backend::Postgres);
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_passwords() {
        let u = DatabaseUrl::parse("postgres://alice:s3cret@db.local:5432/y").unwrap();
        assert_eq!(u.redacted(), "postgres://alice:***@db.local:5432/y");
        assert!(!format!("{u:?}").contains("s3cret"));
        let u = DatabaseUrl::parse("postgres://alice@db.local/y").unwrap();
        assert_eq!(u.redacted(), "postgres://alice@db.local/y");
    }

    #[test]
    fn short_secret_rejected() {
        assert!(SecretKey::new(b"short".to_vec()).is_err());
        assert!(format!("{:?}", SecretKey::new(vec![7; 32]).unwrap()).contains("***"));
    }
}
