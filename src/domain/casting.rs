//! Which of a voter's ballots counts when online, proxy (委托投票) and paper (书面表决票)
//! ballots share one ledger per voter, and the rules of proxy authorisations (委托书) and of
//! paper entries. Pure: the server and the offline verifier apply the same functions, the
//! verifier from the public leaves alone (docs/verification.md §14).
//!
//! A voter's **ledger** is every leaf of the log that carries the voter (open mode) or the
//! voter's tag (confidential mode), each seen as an [`Entry`]: its place in the log, its
//! channel, when it was cast, whether a scrutineer confirmed it (paper) and which paper entry
//! it corrects. Nothing is ever overwritten: a paper correction, and a scrutineer's
//! confirmation, are new entries of the same **paper family** (the entry as first entered and
//! every entry that names it in `corrects`); in a family only the latest entry stands.
//!
//! Exactly one entry of a ledger counts, or none ([`effective`]), by the ballot's
//! [`ConflictRule`]. [`admit`] decides at entry time whether a new entry may be appended;
//! [`audit`] replays the public part of those checks over a whole ledger, for the verifier.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ballot::str_enum;

str_enum!(
    /// How a ballot reached the log. Leaf member `channel`: absent for online ballots.
    Channel {
        /// Cast by the voter in the service (every leaf without a `channel` member).
        Online = "online",
        /// Cast by a proxy (受托人) under the owner's authorisation (委托书).
        Proxy = "proxy",
        /// A returned ballot paper (书面表决票), entered by an organiser; it counts only once a
        /// scrutineer has confirmed it.
        Paper = "paper",
    }
);

impl Channel {
    /// The channel a leaf's `channel` member names: absent is online; an unknown value is
    /// `None` (the leaf is malformed).
    pub fn of_leaf(member: Option<&str>) -> Option<Channel> {
        member.map_or(Some(Channel::Online), Channel::parse)
    }

    /// The leaf's `channel` member: absent (`None`) for online ballots, so that online leaves
    /// are exactly the leaves written before channels existed.
    pub fn leaf_member(self) -> Option<&'static str> {
        match self {
            Channel::Online => None,
            other => Some(other.as_str()),
        }
    }

    /// Whether the owner cast it themselves (online or on paper), rather than a proxy. An
    /// owner who votes in person overrides the proxy.
    pub fn is_own(self) -> bool {
        self != Channel::Proxy
    }

    fn order(self) -> u8 {
        match self {
            Channel::Online => 0,
            Channel::Proxy => 1,
            Channel::Paper => 2,
        }
    }
}

str_enum!(
    /// Which ballot of a voter counts when the voter has several (docs/verification.md §14).
    /// Fixed in the manifest at announcement (`casting.conflict_rule`, absent:
    /// `latest_before_close`).
    ///
    /// Every rule looks only at the voter's *valid* entries: cast before `closes_at`, not
    /// malformed, not superseded within their paper family, and (paper) confirmed by a
    /// scrutineer. The *rank* of an entry is its log index, except that a paper correction or
    /// confirmation takes the rank of the entry it corrects (the paper's place in time is when
    /// it was first entered, not when its entry was fixed or confirmed). Ties of rank are
    /// broken by log index. Under every rule an own ballot (online or paper) beats any proxy
    /// ballot: an owner who votes in person overrides the proxy.
    ConflictRule {
        /// The default. The valid own ballot (online or paper) of highest rank counts; if the
        /// voter has none, the valid proxy ballot of highest rank. With online ballots only,
        /// this is the last leaf of the voter cast before close, exactly as before channels.
        LatestBeforeClose = "latest_before_close",
        /// A confirmed paper ballot beats online and proxy ballots whatever their time: the
        /// valid paper ballot of highest rank counts; if none, the latest valid online ballot;
        /// if none, the latest valid proxy ballot. Online and proxy ballots are refused at
        /// entry while a confirmed paper ballot stands.
        PaperFinal = "paper_final",
        /// One ballot per voter: the valid own ballot of lowest rank counts; if none, the
        /// valid proxy ballot of lowest rank. At entry a second ballot is refused while one
        /// stands (`casting-error-conflict-refused`), except an own ballot after a proxy
        /// ballot (it overrides the proxy) and a paper correction or confirmation (it stays in
        /// its family).
        FirstOnly = "first_only",
    }
);

#[allow(clippy::derivable_impls)] // str_enum! owns the derives
impl Default for ConflictRule {
    fn default() -> Self {
        ConflictRule::LatestBeforeClose
    }
}

/// How many owners one proxy may represent in a ballot unless configured otherwise.
pub const DEFAULT_PROXY_CAP: u32 = 1;

fn default_proxy_cap() -> u32 {
    DEFAULT_PROXY_CAP
}

/// A ballot's casting terms, fixed in the manifest as the member `casting`, which is absent
/// when both are the defaults (so manifests written before channels read as the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    #[serde(default)]
    pub conflict_rule: ConflictRule,
    /// How many owners one proxy may represent (0: no proxy votes).
    #[serde(default = "default_proxy_cap")]
    pub proxy_cap: u32,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            conflict_rule: ConflictRule::default(),
            proxy_cap: DEFAULT_PROXY_CAP,
        }
    }
}

impl Terms {
    /// Whether the manifest may leave the member out.
    pub fn is_default(&self) -> bool {
        *self == Terms::default()
    }
}

/// One ballot of a voter's ledger, as its leaf publicly carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The leaf index (log order). Unique within a log.
    pub seq: u64,
    pub channel: Channel,
    /// When the server accepted it, Unix seconds (the leaf's `cast_at`).
    pub cast_at: i64,
    /// Paper: a scrutineer confirmed it (the leaf's `paper.confirmed_by` is present).
    /// Ignored for online and proxy entries, which need no confirmation.
    pub confirmed: bool,
    /// Paper: the log index of the paper entry (as first entered) that this entry corrects or
    /// confirms. Only paper entries may carry it, and only naming an earlier entry.
    pub corrects: Option<u64>,
}

impl Entry {
    pub fn online(seq: u64, cast_at: i64) -> Entry {
        Entry {
            seq,
            channel: Channel::Online,
            cast_at,
            confirmed: false,
            corrects: None,
        }
    }

    pub fn proxy(seq: u64, cast_at: i64) -> Entry {
        Entry {
            channel: Channel::Proxy,
            ..Entry::online(seq, cast_at)
        }
    }

    /// A paper entry as an organiser first enters it: not yet confirmed.
    pub fn paper(seq: u64, cast_at: i64) -> Entry {
        Entry {
            channel: Channel::Paper,
            ..Entry::online(seq, cast_at)
        }
    }

    /// The entry's place in time for the rules: its log index, or for a paper correction or
    /// confirmation the log index of the entry it corrects (its paper family).
    pub fn rank(&self) -> u64 {
        self.corrects.unwrap_or(self.seq)
    }

    /// Whether the rules may look at it: only a paper entry corrects, and only an earlier one.
    pub fn is_well_formed(&self) -> bool {
        match self.corrects {
            None => true,
            Some(c) => self.channel == Channel::Paper && c < self.seq,
        }
    }

    /// Whether it needs nothing more to count: online and proxy entries, confirmed papers.
    fn is_complete(&self) -> bool {
        self.channel != Channel::Paper || self.confirmed
    }

    /// A total order, log order first, so that results never depend on slice order.
    fn key(&self) -> (u64, i64, u8, bool, Option<u64>) {
        (
            self.seq,
            self.cast_at,
            self.channel.order(),
            self.confirmed,
            self.corrects,
        )
    }

    /// The order the rules choose by: rank, then log order.
    fn rank_key(&self) -> (u64, (u64, i64, u8, bool, Option<u64>)) {
        (self.rank(), self.key())
    }
}

/// Why something is refused; each maps to a Fluent message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("voting has closed")]
    Closed,
    #[error("the entry is not after the voter's earlier entries in the log")]
    OutOfOrder,
    #[error("only a paper entry can correct a paper entry")]
    CorrectionNotPaper,
    #[error("the corrected entry does not exist for this voter")]
    CorrectionUnknown,
    #[error("a correction must name the paper entry as first entered, not another correction")]
    CorrectionNotOriginal,
    #[error("this paper entry is already confirmed")]
    AlreadyConfirmed,
    #[error("a paper entry is confirmed by a scrutineer after it was entered, not when entered")]
    ConfirmWithoutEntry,
    #[error("the paper entry was corrected since it was shown; confirm the latest entry")]
    ConfirmStale,
    #[error("the person who entered a paper ballot cannot confirm it")]
    ConfirmOwnEntry,
    #[error("this voter already has a ballot, and the ballot's rule counts only the first")]
    ConflictRefused,
    #[error("the owner has voted themselves, which overrides the proxy")]
    ProxyOverridden,
    #[error("a confirmed paper ballot of this voter counts whatever is cast later")]
    PaperFinal,
    #[error("no proxy authorisation allows this person to vote for this owner")]
    ProxyUnauthorised,
    #[error("the proxy authorisation was revoked")]
    ProxyRevoked,
    #[error("an owner cannot authorise themselves as proxy")]
    ProxySelf,
    #[error("this proxy already represents as many owners as allowed")]
    ProxyCap,
    #[error("this ballot accepts no proxy votes")]
    ProxyDisabled,
    #[error("this owner already has an active proxy authorisation")]
    ProxyExists,
    #[error(
        "the proxy has already voted for this owner; the authorisation can no longer be revoked"
    )]
    RevokeAfterVote,
    #[error("this authorisation is already revoked")]
    AlreadyRevoked,
    #[error("the scan's SHA-256 must be 64 hexadecimal digits")]
    ScanHash,
    #[error("this scan's SHA-256 was already entered for another paper")]
    ScanReused,
    #[error("not a valid ballot paper code")]
    PaperCode,
    #[error("this ballot paper was already entered; correct the entry instead")]
    PaperCodeUsed,
}

impl Refusal {
    pub const ALL: [Refusal; 24] = [
        Refusal::Closed,
        Refusal::OutOfOrder,
        Refusal::CorrectionNotPaper,
        Refusal::CorrectionUnknown,
        Refusal::CorrectionNotOriginal,
        Refusal::AlreadyConfirmed,
        Refusal::ConfirmWithoutEntry,
        Refusal::ConfirmStale,
        Refusal::ConfirmOwnEntry,
        Refusal::ConflictRefused,
        Refusal::ProxyOverridden,
        Refusal::PaperFinal,
        Refusal::ProxyUnauthorised,
        Refusal::ProxyRevoked,
        Refusal::ProxySelf,
        Refusal::ProxyCap,
        Refusal::ProxyDisabled,
        Refusal::ProxyExists,
        Refusal::RevokeAfterVote,
        Refusal::AlreadyRevoked,
        Refusal::ScanHash,
        Refusal::ScanReused,
        Refusal::PaperCode,
        Refusal::PaperCodeUsed,
    ];

    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::Closed => "casting-error-closed",
            Refusal::OutOfOrder => "casting-error-out-of-order",
            Refusal::CorrectionNotPaper => "casting-error-correction-not-paper",
            Refusal::CorrectionUnknown => "casting-error-correction-unknown",
            Refusal::CorrectionNotOriginal => "casting-error-correction-not-original",
            Refusal::AlreadyConfirmed => "casting-error-already-confirmed",
            Refusal::ConfirmWithoutEntry => "casting-error-confirm-without-entry",
            Refusal::ConfirmStale => "casting-error-confirm-stale",
            Refusal::ConfirmOwnEntry => "casting-error-confirm-own-entry",
            Refusal::ConflictRefused => "casting-error-conflict-refused",
            Refusal::ProxyOverridden => "casting-error-proxy-overridden",
            Refusal::PaperFinal => "casting-error-paper-final",
            Refusal::ProxyUnauthorised => "casting-error-proxy-unauthorised",
            Refusal::ProxyRevoked => "casting-error-proxy-revoked",
            Refusal::ProxySelf => "casting-error-proxy-self",
            Refusal::ProxyCap => "casting-error-proxy-cap",
            Refusal::ProxyDisabled => "casting-error-proxy-disabled",
            Refusal::ProxyExists => "casting-error-proxy-exists",
            Refusal::RevokeAfterVote => "casting-error-revoke-after-vote",
            Refusal::AlreadyRevoked => "casting-error-already-revoked",
            Refusal::ScanHash => "casting-error-scan-hash",
            Refusal::ScanReused => "casting-error-scan-reused",
            Refusal::PaperCode => "casting-error-paper-code",
            Refusal::PaperCodeUsed => "casting-error-paper-code-used",
        }
    }
}

/// A voter's ledger as the rules see it: the entries cast before close that are well formed,
/// in log order, and the latest entry of each paper family.
struct Ledger {
    /// Considered entries, sorted by [`Entry::key`].
    entries: Vec<Entry>,
    /// Paper family (its rank) → its latest entry.
    tips: BTreeMap<u64, Entry>,
    /// Considered entries by log index (the first of equal indices).
    by_seq: BTreeMap<u64, Entry>,
    /// The highest log index of any entry, considered or not.
    last: Option<u64>,
    closes_at: i64,
}

impl Ledger {
    fn new(closes_at: i64) -> Ledger {
        Ledger {
            entries: Vec::new(),
            tips: BTreeMap::new(),
            by_seq: BTreeMap::new(),
            last: None,
            closes_at,
        }
    }

    fn of(entries: &[Entry], closes_at: i64) -> Ledger {
        let mut sorted = entries.to_vec();
        sorted.sort_unstable_by_key(Entry::key);
        let mut ledger = Ledger::new(closes_at);
        for e in sorted {
            ledger.push(e);
        }
        ledger
    }

    fn considers(&self, e: &Entry) -> bool {
        e.cast_at < self.closes_at && e.is_well_formed()
    }

    /// Add the next entry (entries must come in [`Entry::key`] order).
    fn push(&mut self, e: Entry) {
        self.last = self.last.max(Some(e.seq));
        if !self.considers(&e) {
            return;
        }
        if e.channel == Channel::Paper {
            self.tips.insert(e.rank(), e);
        }
        self.by_seq.entry(e.seq).or_insert(e);
        self.entries.push(e);
    }

    /// Not superseded by a later entry of its paper family.
    fn stands(&self, e: &Entry) -> bool {
        e.channel != Channel::Paper || self.tips.get(&e.rank()) == Some(e)
    }

    fn standing(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter().filter(|e| self.stands(e))
    }

    fn valid(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.standing().filter(|e| e.is_complete())
    }

    fn effective(&self, rule: ConflictRule) -> Option<&Entry> {
        let pick = |channels: &[Channel]| {
            let of = self.valid().filter(|e| channels.contains(&e.channel));
            match rule {
                ConflictRule::FirstOnly => of.min_by_key(|e| e.rank_key()),
                _ => of.max_by_key(|e| e.rank_key()),
            }
        };
        let own = [Channel::Online, Channel::Paper];
        match rule {
            ConflictRule::LatestBeforeClose | ConflictRule::FirstOnly => {
                pick(&own).or_else(|| pick(&[Channel::Proxy]))
            }
            ConflictRule::PaperFinal => pick(&[Channel::Paper])
                .or_else(|| pick(&[Channel::Online]))
                .or_else(|| pick(&[Channel::Proxy])),
        }
    }

    /// The entry-time checks that need only what the log shows. `grant` is `None` when the
    /// authorisations are not known (the verifier), `Some(g)` for the server.
    fn check(
        &self,
        new: &Entry,
        rule: ConflictRule,
        grant: Option<Option<&ProxyAuthorisation>>,
    ) -> Result<(), Refusal> {
        if new.cast_at >= self.closes_at {
            return Err(Refusal::Closed);
        }
        if self.last.is_some_and(|last| last >= new.seq) {
            return Err(Refusal::OutOfOrder);
        }
        if new.corrects.is_some() && new.channel != Channel::Paper {
            return Err(Refusal::CorrectionNotPaper);
        }
        if new.channel == Channel::Proxy {
            if let Some(grant) = grant {
                match grant {
                    None => return Err(Refusal::ProxyUnauthorised),
                    Some(g) if g.revoked => return Err(Refusal::ProxyRevoked),
                    Some(_) => {}
                }
            }
        }
        if new.channel == Channel::Paper {
            match new.corrects {
                None if new.confirmed => return Err(Refusal::ConfirmWithoutEntry),
                None => {}
                Some(original) => {
                    let target = self
                        .by_seq
                        .get(&original)
                        .ok_or(Refusal::CorrectionUnknown)?;
                    if target.channel != Channel::Paper {
                        return Err(Refusal::CorrectionNotPaper);
                    }
                    if target.corrects.is_some() {
                        return Err(Refusal::CorrectionNotOriginal);
                    }
                    if new.confirmed && self.tips.get(&original).is_some_and(|t| t.confirmed) {
                        return Err(Refusal::AlreadyConfirmed);
                    }
                    // A correction or confirmation stays within its family.
                    return Ok(());
                }
            }
        }
        let own_stands = self.standing().any(|e| e.channel.is_own());
        if new.channel == Channel::Proxy && own_stands {
            return Err(Refusal::ProxyOverridden);
        }
        match rule {
            ConflictRule::LatestBeforeClose => Ok(()),
            ConflictRule::FirstOnly => {
                let proxy_stands = self.standing().any(|e| e.channel == Channel::Proxy);
                if (own_stands && new.channel.is_own()) || (proxy_stands && !new.channel.is_own()) {
                    Err(Refusal::ConflictRefused)
                } else {
                    Ok(())
                }
            }
            ConflictRule::PaperFinal => {
                let paper_counts = self.valid().any(|e| e.channel == Channel::Paper);
                if paper_counts && new.channel != Channel::Paper {
                    Err(Refusal::PaperFinal)
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The log index of the one entry of a voter's ledger that counts, or `None` when none does.
///
/// `entries` are all the voter's entries, in any order (they are ordered by `seq`). An entry
/// is *valid* when it was cast before `closes_at` (`cast_at < closes_at`; later entries are
/// ignored altogether, corrections included), is well formed ([`Entry::is_well_formed`]), is
/// the latest entry of its paper family (paper), and is confirmed (paper). Among the valid
/// entries `rule` chooses ([`ConflictRule`]).
pub fn effective(entries: &[Entry], rule: ConflictRule, closes_at: i64) -> Option<u64> {
    Ledger::of(entries, closes_at)
        .effective(rule)
        .map(|e| e.seq)
}

/// The paper entries of a voter's ledger that wait for a scrutineer: the latest entry of
/// their family, not confirmed, cast before close. Ascending.
pub fn awaiting_confirmation(entries: &[Entry], closes_at: i64) -> Vec<u64> {
    let ledger = Ledger::of(entries, closes_at);
    let mut waiting: Vec<u64> = ledger
        .standing()
        .filter(|e| e.channel == Channel::Paper && !e.confirmed)
        .map(|e| e.seq)
        .collect();
    waiting.dedup();
    waiting
}

/// Whether a voter's ledger has an effective ballot (some valid entry).
pub fn has_effective(entries: &[Entry], closes_at: i64) -> bool {
    Ledger::of(entries, closes_at).valid().next().is_some()
}

/// Whether `new` may be appended to a voter's ledger `existing`, at entry time.
///
/// Refused: an entry cast at or after `closes_at` ([`Refusal::Closed`]); one not after every
/// existing entry in the log ([`Refusal::OutOfOrder`]); a correction that is not a paper
/// entry, or names an entry of the voter that does not exist (before close), is not paper, or
/// is itself a correction; a confirmation of a family whose latest entry is already confirmed;
/// a paper entry confirmed when first entered; a proxy entry without an active authorisation
/// (`grant`: the authorisation of this ledger's owner the proxy casts under, from
/// [`grant_for`]; ignored for other channels) or while an own ballot of the owner stands
/// (entered or confirmed, not superseded); under [`ConflictRule::FirstOnly`] a second ballot
/// while one stands (an own ballot after a proxy ballot excepted); under
/// [`ConflictRule::PaperFinal`] an online or proxy ballot while a confirmed paper ballot
/// stands. Corrections and confirmations are never refused by the conflict rule.
///
/// Every entry admitted online or by proxy counts at once ([`effective`] returns it).
pub fn admit(
    existing: &[Entry],
    new: &Entry,
    rule: ConflictRule,
    closes_at: i64,
    grant: Option<&ProxyAuthorisation>,
) -> Result<(), Refusal> {
    Ledger::of(existing, closes_at).check(new, rule, Some(grant))
}

/// For the verifier: replay [`admit`] over a whole ledger (in log order), without the proxy
/// authorisations (which are not public), and list the entries it would have refused with
/// why. A log the service wrote has none.
pub fn audit(entries: &[Entry], rule: ConflictRule, closes_at: i64) -> Vec<(u64, Refusal)> {
    let mut sorted = entries.to_vec();
    sorted.sort_unstable_by_key(Entry::key);
    let mut ledger = Ledger::new(closes_at);
    let mut refused = Vec::new();
    for e in sorted {
        if let Err(r) = ledger.check(&e, rule, None) {
            refused.push((e.seq, r));
        }
        ledger.push(e);
    }
    refused
}

/// Keep only the items whose entries may still count whatever entries are appended later
/// (with higher log indices): for every such continuation `later`,
/// `effective(kept ++ later) == effective(all ++ later)`. A streaming recount keeps per voter
/// only these (with online ballots only, one). Not for [`audit`], which needs every entry.
pub fn prune<T>(
    items: &mut Vec<T>,
    entry: impl Fn(&T) -> Entry,
    rule: ConflictRule,
    closes_at: i64,
) {
    let all: Vec<Entry> = items.iter().map(&entry).collect();
    let ledger = Ledger::of(&all, closes_at);
    let of = |channel: Channel| ledger.entries.iter().filter(move |e| e.channel == channel);
    // Online entries never stop counting: the latest (or first) one shadows the others of
    // its kind and every proxy entry for good.
    let online = match rule {
        ConflictRule::FirstOnly => of(Channel::Online).min_by_key(|e| e.key()),
        _ => of(Channel::Online).max_by_key(|e| e.key()),
    }
    .copied();
    let proxy = match rule {
        ConflictRule::FirstOnly => of(Channel::Proxy).min_by_key(|e| e.key()),
        _ => of(Channel::Proxy).max_by_key(|e| e.key()),
    }
    .copied();
    let keep = |e: &Entry| -> bool {
        if !ledger.considers(e) || !ledger.stands(e) {
            return false;
        }
        match e.channel {
            Channel::Online => Some(*e) == online,
            Channel::Proxy => online.is_none() && Some(*e) == proxy,
            Channel::Paper => match (rule, online) {
                (_, None) | (ConflictRule::PaperFinal, _) => true,
                (ConflictRule::LatestBeforeClose, Some(o)) => e.rank() >= o.seq,
                (ConflictRule::FirstOnly, Some(o)) => e.rank() < o.seq,
            },
        }
    };
    items.retain(|t| keep(&entry(t)));
}

/// The paper family (its original entry's log index) that an organiser's choice `target`
/// (any entry of the family) belongs to, for a correction.
pub fn family_of(existing: &[Entry], target: u64) -> Result<u64, Refusal> {
    let e = existing
        .iter()
        .find(|e| e.seq == target)
        .ok_or(Refusal::CorrectionUnknown)?;
    if e.channel != Channel::Paper {
        return Err(Refusal::CorrectionNotPaper);
    }
    Ok(e.rank())
}

/// The entry that corrects the paper family of `target` (any of its entries): a new,
/// unconfirmed paper entry naming the family's original. Check it with [`admit`].
pub fn correction(
    existing: &[Entry],
    target: u64,
    seq: u64,
    cast_at: i64,
) -> Result<Entry, Refusal> {
    Ok(Entry {
        corrects: Some(family_of(existing, target)?),
        ..Entry::paper(seq, cast_at)
    })
}

/// The entry by which a scrutineer confirms the paper entry `seen` (the one they were shown):
/// a new confirmed paper entry of its family, carrying the same answers. Refused when `seen`
/// is not the family's latest entry (it was corrected meanwhile) or is already confirmed.
/// Check it with [`admit`], and the person with [`check_confirmer`].
pub fn confirmation(
    existing: &[Entry],
    seen: u64,
    seq: u64,
    cast_at: i64,
) -> Result<Entry, Refusal> {
    let family = family_of(existing, seen)?;
    let latest = existing
        .iter()
        .filter(|e| e.channel == Channel::Paper && e.is_well_formed() && e.rank() == family)
        .max_by_key(|e| e.key())
        .ok_or(Refusal::CorrectionUnknown)?;
    if latest.seq != seen {
        return Err(Refusal::ConfirmStale);
    }
    if latest.confirmed {
        return Err(Refusal::AlreadyConfirmed);
    }
    Ok(Entry {
        confirmed: true,
        corrects: Some(family),
        ..Entry::paper(seq, cast_at)
    })
}

/// Four eyes: whoever entered (or last corrected) a paper entry does not confirm it.
pub fn check_confirmer(entered_by: i64, confirmer: i64) -> Result<(), Refusal> {
    if entered_by == confirmer {
        Err(Refusal::ConfirmOwnEntry)
    } else {
        Ok(())
    }
}

mod paper;
mod proxy;

pub use paper::*;
pub use proxy::*;

#[cfg(test)]
mod tests;
