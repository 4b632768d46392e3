//! Proxy authorisations (委托书): who may vote for whom in a ballot, and until when.

use serde::{Deserialize, Serialize};

use super::{check_scan, Channel, Entry, Refusal};

/// How a proxy authorisation (委托书) was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthorisationSource {
    /// Signed by the owner in the service.
    Online,
    /// Entered by an organiser from a paper authorisation, with the SHA-256 of its scan
    /// (64 lower-case hex digits).
    Paper { scan_sha256: String },
}

impl AuthorisationSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthorisationSource::Online => "online",
            AuthorisationSource::Paper { .. } => "paper",
        }
    }

    pub fn scan_sha256(&self) -> Option<&str> {
        match self {
            AuthorisationSource::Online => None,
            AuthorisationSource::Paper { scan_sha256 } => Some(scan_sha256),
        }
    }
}

/// An owner's authorisation of a proxy (受托人) for one ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProxyAuthorisation {
    pub id: i64,
    /// The voter index of the owner who authorises (co-owners are one voter).
    pub owner: i64,
    /// The user id of the person authorised.
    pub proxy: i64,
    /// The voter the proxy votes as themselves in this ballot, if any: a proxy whose own
    /// voter is the owner (a co-owner of the same voter) would be a proxy for oneself.
    pub proxy_voter: Option<i64>,
    pub source: AuthorisationSource,
    pub revoked: bool,
}

impl ProxyAuthorisation {
    pub fn is_active(&self) -> bool {
        !self.revoked
    }
}

/// Whether a new authorisation may be recorded, given the ballot's `existing` ones (revoked
/// included) and the ballot's proxy cap. Refused: a cap of 0 ([`Refusal::ProxyDisabled`]); a
/// proxy for oneself; a paper authorisation whose scan hash is not 64 lower-case hex digits
/// or was entered for another authorisation (revoked or not); an owner who already has an
/// active authorisation (revoke it first); a proxy who already holds `cap` active ones.
pub fn validate_authorisation(
    new: &ProxyAuthorisation,
    existing: &[ProxyAuthorisation],
    cap: u32,
) -> Result<(), Refusal> {
    if cap == 0 {
        return Err(Refusal::ProxyDisabled);
    }
    if new.proxy_voter == Some(new.owner) {
        return Err(Refusal::ProxySelf);
    }
    if let Some(hash) = new.source.scan_sha256() {
        check_scan(hash, None, |h| {
            existing.iter().any(|a| a.source.scan_sha256() == Some(h))
        })?;
    }
    let active = existing.iter().filter(|a| a.is_active());
    if active.clone().any(|a| a.owner == new.owner) {
        return Err(Refusal::ProxyExists);
    }
    let held = active.filter(|a| a.proxy == new.proxy).count();
    if u32::try_from(held).unwrap_or(u32::MAX) >= cap {
        return Err(Refusal::ProxyCap);
    }
    Ok(())
}

/// Whether the owner may revoke `authorisation`, given the owner's ledger: only until the
/// proxy has voted for the owner. (While an owner's authorisation has proxy votes it cannot
/// be revoked, and an owner has one active authorisation at a time, so every proxy entry of
/// the ledger was cast under the active one.)
pub fn revoke(authorisation: &ProxyAuthorisation, owner_entries: &[Entry]) -> Result<(), Refusal> {
    if authorisation.revoked {
        return Err(Refusal::AlreadyRevoked);
    }
    if owner_entries.iter().any(|e| e.channel == Channel::Proxy) {
        return Err(Refusal::RevokeAfterVote);
    }
    Ok(())
}

/// The active authorisation under which user `proxy` votes for voter `owner`.
pub fn grant_for(
    authorisations: &[ProxyAuthorisation],
    proxy: i64,
    owner: i64,
) -> Result<&ProxyAuthorisation, Refusal> {
    let mut of = authorisations
        .iter()
        .filter(|a| a.proxy == proxy && a.owner == owner);
    match of.clone().find(|a| a.is_active()) {
        Some(a) => Ok(a),
        None if of.next().is_some() => Err(Refusal::ProxyRevoked),
        None => Err(Refusal::ProxyUnauthorised),
    }
}

/// The owners (voter indices) user `proxy` may vote for, ascending.
pub fn represented_by(authorisations: &[ProxyAuthorisation], proxy: i64) -> Vec<i64> {
    let mut owners: Vec<i64> = authorisations
        .iter()
        .filter(|a| a.is_active() && a.proxy == proxy)
        .map(|a| a.owner)
        .collect();
    owners.sort_unstable();
    owners.dedup();
    owners
}
