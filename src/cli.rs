//! The command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{self, Settings};
use crate::crypto::scrutineer_key::ScrutineerKey;
use crate::{db, verify};

#[derive(Debug, Parser)]
#[command(
    name = "yishiting",
    version,
    about = "议事亭 yishiting: residents deliberate and decide together; anyone can check the count.",
    long_about = "议事亭 yishiting: residents deliberate and decide together; anyone can check the count.\n\n\
Without a command, serves the web service. Settings come from the environment \
(see README); the options below override it."
)]
pub struct Cli {
    /// Address and port to listen on [env: YISHITING_BIND] [default: 127.0.0.1:8080]
    #[arg(long, global = true)]
    pub bind: Option<String>,

    /// sqlite://FILE, a file path, or postgres://… [env: DATABASE_URL or DATABASE_URL_FILE]
    /// [default: sqlite in the data directory]
    #[arg(long, global = true)]
    pub database_url: Option<String>,

    /// Directory for the default SQLite database and generated keys
    /// [env: YISHITING_DATA_DIR] [default: ./data]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,

    /// Seed the demo community 三义井社区 (with accounts for every role) before serving,
    /// and print how to log in as each role
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE, even while the service runs
    Backup {
        /// The new file to write; it must not exist yet
        file: PathBuf,
    },
    /// Import or export a community's roster (CSV; see README for the columns)
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Import or export a community's residents' register (CSV; see README for the columns)
    #[command(subcommand)]
    Residents(RosterCommand),
    /// Check a ballot's whole public record offline, trusting nothing the server says
    /// (docs/verification.md §12), or an election's whole procedure (§15); exits non-zero if
    /// any check fails
    Verify {
        /// The ballot bundle: an http(s) address of the ballot (or of its bundle), a bundle
        /// directory, or a ballot-<id>.tar.gz archive. Or an election: its address
        /// (http(s)://host/c/{slug}/elections/{id}), or a directory with its log.json and
        /// its ballot's bundle
        target: String,
        /// Read the target as an election's record (implied by an election address or a
        /// directory with log.json)
        #[arg(long)]
        election: bool,
        /// The report's language
        #[arg(long, value_enum, default_value_t = ReportLang::Zh)]
        lang: ReportLang,
        /// Also write the report as JSON to FILE (`-`: standard output, the readable report
        /// then goes to standard error)
        #[arg(long, value_name = "FILE")]
        json: Option<String>,
        /// When every check passed and the result is final, co-sign the final record with
        /// this scrutineer key file and print the signature (to upload on the co-sign page)
        #[arg(long, value_name = "KEYFILE")]
        sign_with: Option<PathBuf>,
        /// The verifier key you trust, as posted with the ballot's or the election's notice
        /// (`name+keyid+base64`): the check fails unless the record is signed with it
        #[arg(long, value_name = "VERIFIER_KEY")]
        key: Option<String>,
    },
    /// Scrutineers' (监票人) signing keys
    #[command(subcommand)]
    Key(KeyCommand),
    /// Send the notification emails now: pending immediate ones and the daily digests that
    /// are due (for cron; the service also does this itself). Needs YISHITING_SMTP_URL and
    /// YISHITING_MAIL_FROM, or YISHITING_MAIL_DIR
    Digest,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportLang {
    Zh,
    En,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new scrutineer key file (mode 0600; never overwritten) and print its public key
    Generate {
        /// The key file to write
        #[arg(long, default_value = "scrutineer-key.json")]
        out: PathBuf,
    },
    /// Print the public key of a scrutineer key file (to give to the organiser)
    Public {
        /// The key file
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Check a roster file and show what it would change; with --yes, apply it
    Import {
        /// The community's short name (slug)
        #[arg(long)]
        community: String,
        /// The CSV file
        file: PathBuf,
        /// Apply the changes (without it nothing is changed)
        #[arg(long)]
        yes: bool,
    },
    /// Write the roster as CSV to standard output
    Export {
        #[arg(long)]
        community: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mut settings = Settings::from_env(cli.bind, cli.database_url, cli.data_dir)?;
            settings.demo = cli.demo;
            if cli.demo {
                let db = db::Database::open(&settings.database, 1)?;
                let logins = crate::demo::seed(&mut *db.conn()?)?;
                println!(
                    "演示小区 / demo community: 三义井社区 (/c/{}/roster)",
                    crate::demo::DEMO_SLUG
                );
                for l in logins {
                    println!(
                        "  {:<40} login: {:<12} password: {}",
                        l.role, l.login, l.password
                    );
                }
                if let Some(id) = crate::demo::seed_ballot(&db, &settings)? {
                    println!(
                        "  演示表决 / demo ballot: /c/{}/ballots/{id}",
                        crate::demo::DEMO_SLUG
                    );
                }
            }
            crate::app::serve(settings).await
        }
        Command::Roster(cmd) => {
            let db = open_database(cli.database_url, cli.data_dir)?;
            roster_command(&mut *db.conn()?, cmd)
        }
        Command::Residents(cmd) => {
            let db = open_database(cli.database_url, cli.data_dir)?;
            residents_command(&mut *db.conn()?, cmd)
        }
        Command::Migrate => {
            let db = open_database(cli.database_url, cli.data_dir)?;
            println!("migrations applied to {}", db.url().redacted());
            Ok(())
        }
        Command::Verify {
            target,
            election,
            lang,
            json,
            sign_with,
            key,
        } => verify_command(
            &target,
            election,
            lang,
            json.as_deref(),
            sign_with.as_deref(),
            key.as_deref(),
        ),
        Command::Key(cmd) => key_command(cmd),
        Command::Digest => {
            let settings = crate::notify::mail::MailSettings::from_env()?.context(
                "email is not configured: set YISHITING_SMTP_URL and YISHITING_MAIL_FROM, \
                 or YISHITING_MAIL_DIR",
            )?;
            let mailer = crate::notify::Mailer::new(&settings)?;
            let db = open_database(cli.database_url, cli.data_dir)?;
            let mut conn = db.conn()?;
            let now = crate::clock::Clock::default().now();
            let sent = crate::notify::run_outbox(&mut conn, &mailer, now)?;
            let digests = crate::notify::send_digests(&mut conn, &mailer, now)?;
            println!("notification emails sent: {sent}; digests sent: {digests}");
            Ok(())
        }
        Command::Backup { file } => {
            let data_dir = config::resolve_data_dir(cli.data_dir);
            let url = config::resolve_database(cli.database_url, &data_dir)?;
            let source = url
                .sqlite_path()
                .context("backup works on SQLite; back up PostgreSQL with pg_dump (see README)")?;
            // Do not let the backup create an empty database where none was.
            if !source.exists() {
                anyhow::bail!("no database at {}", source.display());
            }
            let mut conn = db::establish(&url)?;
            db::sqlite_backup(&mut conn, &file)?;
            println!("backup of {} written to {}", url.redacted(), file.display());
            Ok(())
        }
    }
}

fn roster_command(conn: &mut db::DbConn, cmd: RosterCommand) -> anyhow::Result<()> {
    match cmd {
        RosterCommand::Import {
            community,
            file,
            yes,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let diff = crate::routes::roster::import_cli(conn, &community, &bytes, yes)?;
            let area = crate::domain::area::format_area;
            println!(
                "units: {} added, {} removed, {} changed; owners: {} added, {} removed, {} changed",
                diff.units_added.len(),
                diff.units_removed.len(),
                diff.units_changed.len(),
                diff.owners_added.len(),
                diff.owners_removed.len(),
                diff.owners_changed.len()
            );
            println!(
                "total area {} -> {} m²; headcount {} -> {}; units {} -> {}",
                area(diff.before.area),
                area(diff.after.area),
                diff.before.headcount,
                diff.after.headcount,
                diff.before.units,
                diff.after.units
            );
            if yes {
                println!("applied");
            } else {
                println!("nothing changed yet: run again with --yes to apply");
            }
            Ok(())
        }
        RosterCommand::Export { community } => {
            let c = crate::db::communities::by_slug(conn, &community)?
                .ok_or_else(|| anyhow::anyhow!("no community with slug {community}"))?;
            let file = crate::db::roster::roster_file(conn, c.id)?;
            print!("{}", crate::domain::roster_csv::to_csv(&file));
            Ok(())
        }
    }
}

fn residents_command(conn: &mut db::DbConn, cmd: RosterCommand) -> anyhow::Result<()> {
    match cmd {
        RosterCommand::Import {
            community,
            file,
            yes,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let p = crate::routes::residents::import_cli(conn, &community, &bytes, yes)?;
            println!(
                "households {} -> {}; residents {} -> {}; aged 18+ {} -> {}; representatives {} -> {}",
                p.before.households,
                p.after.households,
                p.before.residents,
                p.after.residents,
                p.before.adults,
                p.after.adults,
                p.before.representatives,
                p.after.representatives
            );
            println!(
                "{}",
                if yes {
                    "applied"
                } else {
                    "nothing changed yet: run again with --yes to apply"
                }
            );
            Ok(())
        }
        RosterCommand::Export { community } => {
            let c = crate::db::communities::by_slug(conn, &community)?
                .ok_or_else(|| anyhow::anyhow!("no community with slug {community}"))?;
            let file = crate::db::residents::residents_file(conn, c.id)?;
            print!("{}", crate::domain::residents::to_csv(&file));
            Ok(())
        }
    }
}

fn read_key(path: &std::path::Path) -> anyhow::Result<ScrutineerKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    ScrutineerKey::from_key_file(&text)
        .with_context(|| format!("{} is not a usable scrutineer key file", path.display()))
}

fn key_command(cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Generate { out } => {
            if out.exists() {
                anyhow::bail!("{} exists already; it is not overwritten", out.display());
            }
            let key = ScrutineerKey::generate()?;
            config::write_private_file(&out, key.to_key_file().as_bytes())?;
            eprintln!(
                "监票人密钥已写入 / scrutineer key written to {} (keep it secret)",
                out.display()
            );
            println!("{}", key.public_key_b64());
            Ok(())
        }
        KeyCommand::Public { file } => {
            println!("{}", read_key(&file)?.public_key_b64());
            Ok(())
        }
    }
}

fn verify_command(
    target: &str,
    election: bool,
    lang: ReportLang,
    json: Option<&str>,
    sign_with: Option<&std::path::Path>,
    trusted_key: Option<&str>,
) -> anyhow::Result<()> {
    let lang = match lang {
        ReportLang::Zh => verify::Lang::Zh,
        ReportLang::En => verify::Lang::En,
    };
    let election = election || verify::is_election_target(target);
    if election && sign_with.is_some() {
        anyhow::bail!("--sign-with co-signs a ballot's final record: verify the ballot itself");
    }
    // Read the key first: a bad key file should not cost a full verification.
    let key = sign_with.map(read_key).transpose()?;
    let mut report = verify::verify_any(target, election);
    if let Some(k) = trusted_key {
        report.pin_key(k);
    }
    let text = report.render_text(lang);
    let mut doc = report.to_json(lang);
    let mut signed = None;
    if let Some(key) = &key {
        if report.ok() {
            let sha = report
                .final_record_sha256
                .as_deref()
                .context("there is no final tally record to co-sign yet")?;
            let public = key.public_key_b64();
            let (index, name) = report
                .scrutineers
                .iter()
                .enumerate()
                .find(|(_, (_, pk))| *pk == public)
                .map(|(i, (name, _))| (i, name.clone()))
                .context(
                    "this key is not one of the ballot's scrutineers (manifest.scrutineers)",
                )?;
            let signature = key.cosign(sha);
            doc["cosignature"] = serde_json::json!({
                "scrutineer": index,
                "name": name,
                "public_key": public,
                "record_sha256": sha,
                "signature": signature,
            });
            signed = Some((name, signature));
        }
    }
    match json {
        Some("-") => {
            eprint!("{text}");
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Some(file) => {
            print!("{text}");
            std::fs::write(file, serde_json::to_string_pretty(&doc)? + "\n")
                .with_context(|| format!("cannot write {file}"))?;
        }
        None => print!("{text}"),
    }
    let failed = report.failures().count();
    if failed > 0 {
        if key.is_some() {
            eprintln!("未联署：核验未通过 / not co-signed: verification failed");
        }
        anyhow::bail!("verification failed: {failed} checks failed");
    }
    if let Some((name, signature)) = signed {
        if json != Some("-") {
            println!("\n联署签名（{name}）/ co-signature by {name}:\n{signature}");
        }
    }
    Ok(())
}

/// The configured database, migrated, with one connection.
fn open_database(url: Option<String>, data_dir: Option<PathBuf>) -> anyhow::Result<db::Database> {
    let data_dir = config::resolve_data_dir(data_dir);
    let url = config::resolve_database(url, &data_dir)?;
    db::Database::open(&url, 1)
}
