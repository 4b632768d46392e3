//! Pure rules and types of the domain: no I/O, no database, no HTTP.
//! Everything here can be unit- and property-tested in isolation.

pub mod accounts;
pub mod area;
pub mod ballot;
pub mod building_report;
pub mod casting;
pub mod comment;
pub mod community;
pub mod convention;
pub mod convention_amendment;
pub mod convention_diff;
pub mod csv_table;
pub mod custom_rule;
pub mod election;
pub mod headcount;
pub mod lifecycle;
pub mod merkle;
pub mod notification;
pub mod proposal;
pub mod record;
pub mod residents;
pub mod roles;
pub mod roster_csv;
pub mod roster_diff;
pub mod search;
pub mod tally;
pub mod tally_record;
