//! Building and running the HTTP server.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};

use actix_web::cookie::Cookie;
use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpMessage, HttpServer};
use tera::Tera;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{Database, DbConn};
use crate::error::AppResult;
use crate::i18n;
use crate::{auth, routes, shell};

/// Largest JSON or form body the service accepts.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared by every worker.
pub struct AppState {
    pub db: Database,
    pub tera: Tera,
    pub settings: Settings,
    pub limits: auth::Limits,
    pub ledger: std::sync::Arc<crate::ledger::Ledger>,
}

impl AppState {
    /// Run blocking database work on the thread pool, with a pooled connection.
    pub async fn with_db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        web::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await?
    }
}

/// Open the database (running migrations), bind the listener and build the server.
/// The server is not running until it is awaited.
pub fn start(settings: Settings) -> anyhow::Result<(Server, SocketAddr)> {
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
    start_on(settings, listener)
}

pub fn start_on(settings: Settings, listener: TcpListener) -> anyhow::Result<(Server, SocketAddr)> {
    let addr = listener.local_addr()?;
    let db = Database::open(&settings.database, settings.pool_size)?;
    let tera = shell::load_tera()?;
    let shutdown_timeout = settings.shutdown_timeout_secs;
    let blocking_threads = (settings.pool_size as usize * 2).max(8);
    let secure_cookies = settings.secure_cookies;
    let ledger = crate::ledger::Ledger::start(
        db.clone(),
        settings.key_encryption_key.clone(),
        settings.log_name.clone(),
        settings.clock.clone(),
    );
    if let Some(mail) = &settings.mail {
        crate::notify::background::start(db.clone(), mail, settings.clock.clone());
    }
    let state = web::Data::new(AppState {
        ledger,
        db,
        tera,
        limits: if settings.demo {
            auth::Limits::demo()
        } else {
            auth::Limits::default()
        },
        settings,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::JsonConfig::default().limit(MAX_BODY_BYTES))
            .app_data(web::FormConfig::default().limit(MAX_BODY_BYTES))
            .app_data(web::PayloadConfig::default().limit(MAX_BODY_BYTES))
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
            .wrap(shell::errors::error_handlers())
            .wrap_fn(move |req, srv| {
                // `?lang=xx` also remembers the choice in a cookie.
                let chosen = i18n::query_lang(req.query_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(lang) = chosen {
                        let cookie: Cookie<'static> = shell::lang_cookie(lang);
                        res.response_mut().add_cookie(&cookie)?;
                    }
                    // A CSRF cookie made while rendering a form.
                    let new_csrf = res
                        .request()
                        .extensions()
                        .get::<auth::NewCsrfCookie>()
                        .cloned();
                    if let Some(auth::NewCsrfCookie(value)) = new_csrf {
                        res.response_mut()
                            .add_cookie(&auth::csrf_cookie(&value, secure_cookies))?;
                    }
                    Ok(res)
                }
            })
            .wrap(shell::headers::security_headers())
            .wrap(TracingLogger::default())
    })
    .listen(listener)?
    // Signals are handled in `serve`, so that Ctrl-C is as graceful as SIGTERM.
    .disable_signals()
    // Database work runs on the blocking pool and needs one of `pool_size` connections: more
    // threads than that only wait, and hundreds of waiting threads cost more in switching
    // than they add. Requests beyond the cap wait as futures instead.
    .worker_max_blocking_threads(blocking_threads)
    .shutdown_timeout(shutdown_timeout)
    .run();
    Ok((server, addr))
}

/// Run until SIGTERM or Ctrl-C, then let requests in flight finish.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Listen for the signals before anything is printed, so that a signal sent as soon as
    // the address appears is already a graceful shutdown.
    let shutdown = Shutdown::listen()?;
    let database = settings.database.redacted();
    let url = settings.database.clone();
    let (server, addr) = start(settings)?;
    // An empty database: make a one-time link that creates the first administrator.
    let mut conn = crate::db::establish(&url)?;
    let setup = routes::auth::ensure_setup_token(&mut conn)?;
    drop(conn);
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        shutdown.recv().await;
        tracing::info!("shutdown requested: finishing requests in flight");
        handle.stop(true).await;
    });
    tracing::info!(%addr, %database, "yishiting is listening");
    // Standard output may be a closed pipe (`yishiting | head -1`): never let that stop the service.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "议事亭 yishiting: http://{addr}  (database: {database})"
    );
    if let Some(token) = setup {
        let _ = writeln!(
            out,
            "创建第一个管理员 / create the first administrator: http://{addr}/setup/{token}"
        );
    }
    let _ = out.flush();
    server.await?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM and SIGINT (Ctrl-C), registered when made.
struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Shutdown {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Shutdown {})
        }
    }

    async fn recv(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
