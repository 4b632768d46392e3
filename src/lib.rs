//! 议事亭 yishiting: a web service where the residents of a residential community deliberate
//! and decide together, and where anyone can check the count.
//!
//! Layers: [`domain`] (pure rules), [`db`] (all diesel code), [`routes`] (thin handlers),
//! [`crypto`] (keys, signatures, randomness); [`shell`] is the page shell and [`app`] wires
//! the server together.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod elections;
pub mod error;
pub mod forum;
pub mod i18n;
pub mod ledger;
pub mod notify;
pub mod routes;
pub mod shell;
pub mod verify;
