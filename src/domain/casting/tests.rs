use proptest::prelude::*;

use super::*;

const CLOSE: i64 = 1_000;
const RULES: [ConflictRule; 3] = [
    ConflictRule::LatestBeforeClose,
    ConflictRule::PaperFinal,
    ConflictRule::FirstOnly,
];

fn online(seq: u64) -> Entry {
    Entry::online(seq, 100 + seq as i64)
}
fn proxy(seq: u64) -> Entry {
    Entry::proxy(seq, 100 + seq as i64)
}
fn paper(seq: u64) -> Entry {
    Entry::paper(seq, 100 + seq as i64)
}
fn confirmed(seq: u64) -> Entry {
    Entry {
        confirmed: true,
        ..paper(seq)
    }
}
/// A correction (unconfirmed) or confirmation (confirmed) of family `of`.
fn member(seq: u64, of: u64, is_confirmed: bool) -> Entry {
    Entry {
        confirmed: is_confirmed,
        corrects: Some(of),
        ..paper(seq)
    }
}

fn eff(entries: &[Entry], rule: ConflictRule) -> Option<u64> {
    effective(entries, rule, CLOSE)
}

fn lbc(entries: &[Entry]) -> Option<u64> {
    eff(entries, ConflictRule::LatestBeforeClose)
}

fn admits(existing: &[Entry], new: Entry, rule: ConflictRule) -> Result<(), Refusal> {
    let grant = auth(1, 10, 20);
    admit(existing, &new, rule, CLOSE, Some(&grant))
}

fn auth(id: i64, owner: i64, proxy: i64) -> ProxyAuthorisation {
    ProxyAuthorisation {
        id,
        owner,
        proxy,
        proxy_voter: None,
        source: AuthorisationSource::Online,
        revoked: false,
    }
}

fn on_paper(id: i64, owner: i64, proxy: i64, hash: &str) -> ProxyAuthorisation {
    ProxyAuthorisation {
        source: AuthorisationSource::Paper {
            scan_sha256: hash.into(),
        },
        ..auth(id, owner, proxy)
    }
}

const H1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const H2: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

// --- names ----------------------------------------------------------------------------------

#[test]
fn names_round_trip_and_old_leaves_are_online() {
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.as_str()), Some(*c));
        assert_eq!(Channel::of_leaf(Some(c.as_str())), Some(*c));
    }
    for r in ConflictRule::ALL {
        assert_eq!(ConflictRule::parse(r.as_str()), Some(*r));
        assert_eq!(
            serde_json::to_string(r).unwrap(),
            format!("\"{}\"", r.as_str())
        );
    }
    assert_eq!(Channel::of_leaf(None), Some(Channel::Online));
    assert_eq!(Channel::of_leaf(Some("fax")), None);
    assert_eq!(Channel::Online.leaf_member(), None);
    assert_eq!(Channel::Paper.leaf_member(), Some("paper"));
    assert_eq!(ConflictRule::default(), ConflictRule::LatestBeforeClose);
    assert!(Channel::Paper.is_own() && Channel::Online.is_own() && !Channel::Proxy.is_own());
}

#[test]
fn terms_default_when_absent_and_are_left_out_when_default() {
    let t: Terms = serde_json::from_str("{}").unwrap();
    assert_eq!(t, Terms::default());
    assert!(t.is_default());
    assert_eq!(t.proxy_cap, 1);
    let paper_final: Terms = serde_json::from_str(r#"{"conflict_rule":"paper_final"}"#).unwrap();
    assert!(!paper_final.is_default());
    assert_eq!(
        serde_json::to_string(&paper_final).unwrap(),
        r#"{"conflict_rule":"paper_final","proxy_cap":1}"#
    );
}

#[test]
fn message_ids_are_distinct_kebab_case_casting_errors() {
    let mut ids: Vec<&str> = Refusal::ALL.iter().map(|r| r.message_id()).collect();
    for id in &ids {
        assert!(id.starts_with("casting-error-"), "{id}");
        assert!(
            id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{id}"
        );
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), Refusal::ALL.len());
}

// --- latest before close ---------------------------------------------------------------------

#[test]
fn latest_before_close_is_the_last_leaf_for_online_ballots() {
    assert_eq!(lbc(&[]), None);
    assert_eq!(lbc(&[online(3)]), Some(3));
    assert_eq!(lbc(&[online(3), online(7), online(5)]), Some(7));
    // A leaf at or after close is ignored; the one before counts.
    let late = Entry::online(9, CLOSE);
    assert_eq!(lbc(&[online(3), late]), Some(3));
    assert_eq!(lbc(&[late]), None);
}

#[test]
fn an_own_ballot_beats_a_proxy_ballot_whatever_the_order() {
    assert_eq!(lbc(&[proxy(1)]), Some(1));
    assert_eq!(lbc(&[proxy(1), proxy(4)]), Some(4));
    assert_eq!(lbc(&[proxy(1), online(2)]), Some(2));
    assert_eq!(lbc(&[online(1), proxy(2)]), Some(1));
    assert_eq!(lbc(&[confirmed(1), proxy(2)]), Some(1));
    // An unconfirmed paper does not count, so the proxy does meanwhile.
    assert_eq!(lbc(&[paper(1), proxy(2)]), Some(2));
}

#[test]
fn a_paper_counts_only_once_confirmed_and_keeps_its_place_in_time() {
    assert_eq!(lbc(&[paper(1)]), None);
    assert_eq!(lbc(&[paper(1), member(2, 1, true)]), Some(2));
    // Entered before an online vote, confirmed after it: the online vote is later.
    assert_eq!(lbc(&[paper(1), online(2), member(3, 1, true)]), Some(2));
    // Entered after the online vote: the paper is later, once confirmed.
    assert_eq!(lbc(&[online(1), paper(2)]), Some(1));
    assert_eq!(lbc(&[online(1), paper(2), member(3, 2, true)]), Some(3));
}

#[test]
fn a_correction_retires_what_it_corrects_until_it_is_confirmed() {
    let entered = [online(0), paper(1), member(2, 1, true)];
    assert_eq!(lbc(&entered), Some(2));
    // The organiser corrects the entry: the confirmed one no longer counts; nothing of the
    // paper counts until a scrutineer confirms the correction; the online vote is earlier.
    let mut corrected = entered.to_vec();
    corrected.push(member(3, 1, false));
    assert_eq!(lbc(&corrected), Some(0));
    corrected.push(member(4, 1, true));
    assert_eq!(lbc(&corrected), Some(4));
    // A correction made after close changes nothing.
    let mut late = entered.to_vec();
    late.push(Entry {
        cast_at: CLOSE,
        ..member(3, 1, false)
    });
    assert_eq!(lbc(&late), Some(2));
}

#[test]
fn malformed_corrections_are_ignored() {
    // Only paper corrects, and only an earlier entry.
    let bogus_online = Entry {
        corrects: Some(0),
        ..online(5)
    };
    assert_eq!(lbc(&[online(1), bogus_online]), Some(1));
    let forward = Entry {
        corrects: Some(9),
        ..confirmed(5)
    };
    assert_eq!(lbc(&[online(1), forward]), Some(1));
    assert!(!forward.is_well_formed() && !bogus_online.is_well_formed());
}

// --- paper final ------------------------------------------------------------------------------

#[test]
fn paper_final_puts_a_confirmed_paper_above_later_ballots() {
    let r = ConflictRule::PaperFinal;
    let ledger = [paper(1), member(2, 1, true), online(3), proxy(4)];
    assert_eq!(eff(&ledger, r), Some(2));
    assert_eq!(lbc(&ledger), Some(3));
    // Unconfirmed, it does not count: the latest online ballot does.
    assert_eq!(eff(&[paper(1), online(2), online(3)], r), Some(3));
    // Two confirmed papers: the later-entered one.
    let two = [paper(1), paper(2), member(3, 2, true), member(4, 1, true)];
    assert_eq!(eff(&two, r), Some(3));
    // Proxy only when nothing of the owner counts.
    assert_eq!(eff(&[proxy(1), paper(2)], r), Some(1));
    assert_eq!(eff(&[proxy(1), online(2)], r), Some(2));
}

// --- first only -------------------------------------------------------------------------------

#[test]
fn first_only_counts_the_first_own_ballot() {
    let r = ConflictRule::FirstOnly;
    assert_eq!(eff(&[online(1), online(2)], r), Some(1));
    assert_eq!(eff(&[proxy(1), proxy(2)], r), Some(1));
    assert_eq!(eff(&[proxy(1), online(2)], r), Some(2));
    assert_eq!(eff(&[paper(1), member(2, 1, true), online(3)], r), Some(2));
    assert_eq!(eff(&[paper(1), online(3)], r), Some(3));
}

// --- admission -------------------------------------------------------------------------------

#[test]
fn nothing_is_admitted_at_or_after_close_or_out_of_log_order() {
    for r in RULES {
        let late = Entry::online(5, CLOSE);
        assert_eq!(admits(&[], late, r), Err(Refusal::Closed));
        assert_eq!(admits(&[online(5)], online(5), r), Err(Refusal::OutOfOrder));
        assert_eq!(admits(&[online(5)], proxy(3), r), Err(Refusal::OutOfOrder));
        assert_eq!(
            admits(&[online(5)], online(6), r).is_ok(),
            r != ConflictRule::FirstOnly
        );
    }
}

#[test]
fn proxy_ballots_need_an_active_authorisation_and_no_own_ballot() {
    let r = ConflictRule::LatestBeforeClose;
    let g = auth(1, 10, 20);
    assert_eq!(admit(&[], &proxy(1), r, CLOSE, Some(&g)), Ok(()));
    assert_eq!(
        admit(&[], &proxy(1), r, CLOSE, None),
        Err(Refusal::ProxyUnauthorised)
    );
    let revoked = ProxyAuthorisation {
        revoked: true,
        ..g.clone()
    };
    assert_eq!(
        admit(&[], &proxy(1), r, CLOSE, Some(&revoked)),
        Err(Refusal::ProxyRevoked)
    );
    // The grant does not matter for the owner's own ballots.
    assert_eq!(admit(&[], &online(1), r, CLOSE, None), Ok(()));
    for r in RULES {
        assert_eq!(
            admits(&[online(1)], proxy(2), r),
            Err(Refusal::ProxyOverridden)
        );
        // An entered paper stands even before it is confirmed.
        assert_eq!(
            admits(&[paper(1)], proxy(2), r),
            Err(Refusal::ProxyOverridden)
        );
        // An own ballot after a proxy ballot overrides it, under every rule.
        assert_eq!(admits(&[proxy(1)], online(2), r), Ok(()));
        assert_eq!(eff(&[proxy(1), online(2)], r), Some(2));
    }
}

#[test]
fn first_only_refuses_a_second_ballot() {
    let r = ConflictRule::FirstOnly;
    assert_eq!(
        admits(&[online(1)], online(2), r),
        Err(Refusal::ConflictRefused)
    );
    assert_eq!(
        admits(&[online(1)], paper(2), r),
        Err(Refusal::ConflictRefused)
    );
    assert_eq!(
        admits(&[paper(1)], paper(2), r),
        Err(Refusal::ConflictRefused)
    );
    assert_eq!(
        admits(&[proxy(1)], proxy(2), r),
        Err(Refusal::ConflictRefused)
    );
    // Corrections and confirmations stay in their family.
    assert_eq!(admits(&[paper(1)], member(2, 1, false), r), Ok(()));
    assert_eq!(admits(&[paper(1)], member(2, 1, true), r), Ok(()));
    // The same under the default rule: a later ballot simply wins.
    let d = ConflictRule::LatestBeforeClose;
    assert_eq!(admits(&[online(1)], paper(2), d), Ok(()));
    assert_eq!(admits(&confirmed_pair(), online(3), d), Ok(()));
}

fn confirmed_pair() -> [Entry; 2] {
    [paper(1), member(2, 1, true)]
}

#[test]
fn paper_final_refuses_ballots_that_could_not_count() {
    let r = ConflictRule::PaperFinal;
    let pair = confirmed_pair();
    assert_eq!(admits(&pair, online(3), r), Err(Refusal::PaperFinal));
    assert_eq!(admits(&pair, proxy(3), r), Err(Refusal::ProxyOverridden));
    // Another paper may still be entered; an unconfirmed one blocks nothing.
    assert_eq!(admits(&pair, paper(3), r), Ok(()));
    assert_eq!(admits(&[paper(1)], online(2), r), Ok(()));
}

#[test]
fn corrections_must_name_an_existing_original_paper_entry() {
    let r = ConflictRule::LatestBeforeClose;
    assert_eq!(
        admits(&[], member(2, 1, false), r),
        Err(Refusal::CorrectionUnknown)
    );
    assert_eq!(
        admits(&[online(1)], member(2, 1, false), r),
        Err(Refusal::CorrectionNotPaper)
    );
    assert_eq!(
        admits(&[paper(1), member(2, 1, false)], member(3, 2, false), r),
        Err(Refusal::CorrectionNotOriginal)
    );
    let online_correcting = Entry {
        corrects: Some(1),
        ..online(2)
    };
    assert_eq!(
        admits(&[paper(1)], online_correcting, r),
        Err(Refusal::CorrectionNotPaper)
    );
    // An original entered after close does not exist for the rules.
    let late = Entry::paper(1, CLOSE + 1);
    assert_eq!(
        admits(&[late], member(2, 1, false), r),
        Err(Refusal::CorrectionUnknown)
    );
    // Any number of corrections of one original.
    let history = [paper(1), member(2, 1, true), member(3, 1, false)];
    assert_eq!(admits(&history, member(4, 1, false), r), Ok(()));
}

#[test]
fn confirmations_come_after_entry_once_per_version() {
    let r = ConflictRule::LatestBeforeClose;
    assert_eq!(
        admits(&[], confirmed(1), r),
        Err(Refusal::ConfirmWithoutEntry)
    );
    let pair = confirmed_pair();
    assert_eq!(
        admits(&pair, member(3, 1, true), r),
        Err(Refusal::AlreadyConfirmed)
    );
    // After a correction the family needs (and may get) a confirmation again.
    let corrected = [pair[0], pair[1], member(3, 1, false)];
    assert_eq!(admits(&corrected, member(4, 1, true), r), Ok(()));
}

#[test]
fn correction_and_confirmation_builders() {
    let history = [online(0), paper(1), member(2, 1, true), member(3, 1, false)];
    // Whichever entry of the family the organiser picks, the correction names the original.
    assert_eq!(correction(&history, 3, 4, 104), Ok(member(4, 1, false)));
    assert_eq!(correction(&history, 1, 4, 50).unwrap().corrects, Some(1));
    assert_eq!(
        correction(&history, 0, 4, 50),
        Err(Refusal::CorrectionNotPaper)
    );
    assert_eq!(
        correction(&history, 9, 4, 50),
        Err(Refusal::CorrectionUnknown)
    );
    assert_eq!(family_of(&history, 2), Ok(1));
    // The scrutineer confirms the entry they saw, if it is still the latest.
    let c = confirmation(&history, 3, 4, 60).unwrap();
    assert_eq!(
        (c.confirmed, c.corrects, c.seq, c.cast_at),
        (true, Some(1), 4, 60)
    );
    assert_eq!(admits(&history, c, ConflictRule::LatestBeforeClose), Ok(()));
    assert_eq!(confirmation(&history, 2, 4, 60), Err(Refusal::ConfirmStale));
    assert_eq!(
        confirmation(&history[..3], 2, 4, 60),
        Err(Refusal::AlreadyConfirmed)
    );
    assert_eq!(
        confirmation(&history, 0, 4, 60),
        Err(Refusal::CorrectionNotPaper)
    );
    assert_eq!(check_confirmer(5, 5), Err(Refusal::ConfirmOwnEntry));
    assert_eq!(check_confirmer(5, 6), Ok(()));
}

#[test]
fn audit_lists_what_the_service_would_have_refused() {
    let r = ConflictRule::FirstOnly;
    assert!(audit(
        &[proxy(0), online(1), paper(2), member(3, 2, true)],
        ConflictRule::LatestBeforeClose,
        CLOSE
    )
    .is_empty());
    assert_eq!(
        audit(&[online(2), online(1), Entry::online(3, CLOSE)], r, CLOSE),
        vec![(2, Refusal::ConflictRefused), (3, Refusal::Closed)]
    );
    assert_eq!(
        audit(
            &[online(1), proxy(2), member(3, 1, false)],
            ConflictRule::LatestBeforeClose,
            CLOSE
        ),
        vec![
            (2, Refusal::ProxyOverridden),
            (3, Refusal::CorrectionNotPaper)
        ]
    );
}

// --- proxy authorisations -----------------------------------------------------------------------

#[test]
fn authorisations_respect_self_cap_and_one_per_owner() {
    let cap = DEFAULT_PROXY_CAP;
    assert_eq!(validate_authorisation(&auth(1, 10, 20), &[], cap), Ok(()));
    let own = ProxyAuthorisation {
        proxy_voter: Some(10),
        ..auth(1, 10, 20)
    };
    assert_eq!(
        validate_authorisation(&own, &[], cap),
        Err(Refusal::ProxySelf)
    );
    // A proxy who is an owner themselves may represent another owner.
    let neighbour = ProxyAuthorisation {
        proxy_voter: Some(11),
        ..auth(1, 10, 20)
    };
    assert_eq!(validate_authorisation(&neighbour, &[], cap), Ok(()));
    let existing = [auth(1, 10, 20)];
    // Cap 1: the proxy represents owner 10 already.
    assert_eq!(
        validate_authorisation(&auth(2, 11, 20), &existing, cap),
        Err(Refusal::ProxyCap)
    );
    assert_eq!(
        validate_authorisation(&auth(2, 11, 20), &existing, 2),
        Ok(())
    );
    assert_eq!(
        validate_authorisation(&auth(2, 11, 20), &[], 0),
        Err(Refusal::ProxyDisabled)
    );
    // One active authorisation per owner.
    assert_eq!(
        validate_authorisation(&auth(2, 10, 21), &existing, cap),
        Err(Refusal::ProxyExists)
    );
    // Revoked ones free both the owner and the proxy.
    let revoked = [ProxyAuthorisation {
        revoked: true,
        ..auth(1, 10, 20)
    }];
    assert_eq!(
        validate_authorisation(&auth(2, 10, 21), &revoked, cap),
        Ok(())
    );
    assert_eq!(
        validate_authorisation(&auth(2, 11, 20), &revoked, cap),
        Ok(())
    );
}

#[test]
fn paper_authorisations_carry_a_fresh_scan_hash() {
    let cap = 5;
    assert_eq!(
        validate_authorisation(&on_paper(1, 10, 20, H1), &[], cap),
        Ok(())
    );
    let upper = H1.to_uppercase();
    let long = format!("{H1}0");
    let not_hex = H1.replace('9', "g");
    let bad: [&str; 5] = ["", "abc", &upper, &long, &not_hex];
    for bad in bad {
        assert_eq!(
            validate_authorisation(&on_paper(1, 10, 20, bad), &[], cap),
            Err(Refusal::ScanHash),
            "{bad}"
        );
    }
    let existing = [ProxyAuthorisation {
        revoked: true,
        ..on_paper(1, 10, 20, H1)
    }];
    assert_eq!(
        validate_authorisation(&on_paper(2, 11, 21, H1), &existing, cap),
        Err(Refusal::ScanReused)
    );
    assert_eq!(
        validate_authorisation(&on_paper(2, 11, 21, H2), &existing, cap),
        Ok(())
    );
}

#[test]
fn revocation_only_until_the_proxy_votes() {
    let a = auth(1, 10, 20);
    assert_eq!(revoke(&a, &[]), Ok(()));
    assert_eq!(revoke(&a, &[online(1)]), Ok(()));
    assert_eq!(revoke(&a, &[proxy(1)]), Err(Refusal::RevokeAfterVote));
    let gone = ProxyAuthorisation { revoked: true, ..a };
    assert_eq!(revoke(&gone, &[]), Err(Refusal::AlreadyRevoked));
}

#[test]
fn grants_are_found_by_proxy_and_owner() {
    let auths = [
        ProxyAuthorisation {
            revoked: true,
            ..auth(1, 10, 20)
        },
        auth(2, 10, 21),
        auth(3, 11, 21),
    ];
    assert_eq!(grant_for(&auths, 21, 10).map(|a| a.id), Ok(2));
    assert_eq!(grant_for(&auths, 20, 10), Err(Refusal::ProxyRevoked));
    assert_eq!(grant_for(&auths, 22, 10), Err(Refusal::ProxyUnauthorised));
    assert_eq!(represented_by(&auths, 21), vec![10, 11]);
    assert!(represented_by(&auths, 20).is_empty());
}

// --- scans and paper codes ----------------------------------------------------------------------

#[test]
fn scan_hashes_are_normalised_checked_and_not_reused() {
    let pasted = format!("  {} {}\n", &H1[..32].to_uppercase(), &H1[32..]);
    assert_eq!(normalise_sha256(&pasted), H1);
    assert!(is_sha256_hex(H1) && !is_sha256_hex(&H1.to_uppercase()));
    assert_eq!(check_scan(H1, None, |_| false), Ok(()));
    assert_eq!(check_scan("xyz", None, |_| false), Err(Refusal::ScanHash));
    assert_eq!(check_scan(H1, None, |h| h == H1), Err(Refusal::ScanReused));
    // A correction keeps its paper's scan; a different used scan is still refused.
    assert_eq!(check_scan(H1, Some(H1), |_| true), Ok(()));
    assert_eq!(check_scan(H2, Some(H1), |_| true), Err(Refusal::ScanReused));
}

#[test]
fn paper_codes_read_like_invitation_codes() {
    assert_eq!(
        normalise_paper_code("K7MQ-3XTA-9HWE"),
        Ok("K7MQ-3XTA-9HWE".into())
    );
    assert_eq!(
        normalise_paper_code(" k7mq 3xta 9hwe "),
        Ok("K7MQ-3XTA-9HWE".into())
    );
    assert_eq!(
        normalise_paper_code("ｋ７ＭＱ－３ＸＴＡ－９ＨＷＥ"),
        Ok("K7MQ-3XTA-9HWE".into())
    );
    for bad in [
        "",
        "K7MQ-3XTA-9HW",
        "K7MQ-3XTA-9HWEE",
        "K7MQ-3XTA-9HW0",
        "K7MQ-3XTA-9HWI",
        "K7MQ_3XTA_9HWE",
    ] {
        assert_eq!(normalise_paper_code(bad), Err(Refusal::PaperCode), "{bad}");
    }
    // The codes the service prints (crypto::tokens) are valid paper codes, and the two
    // normalisers agree.
    for _ in 0..20 {
        let code = crate::crypto::tokens::invitation_code().unwrap();
        assert_eq!(normalise_paper_code(&code.to_lowercase()), Ok(code.clone()));
        assert_eq!(
            crate::crypto::tokens::normalise_code(&code.to_lowercase()),
            code
        );
    }
}

// --- properties ---------------------------------------------------------------------------------

/// The rules as docs/verification.md §14 states them, naively (quadratic), for log indices
/// that are unique.
fn reference(entries: &[Entry], rule: ConflictRule, closes_at: i64) -> Option<u64> {
    let considered: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.cast_at < closes_at)
        .filter(|e| match e.corrects {
            None => true,
            Some(c) => e.channel == Channel::Paper && c < e.seq,
        })
        .collect();
    let family = |e: &Entry| e.corrects.unwrap_or(e.seq);
    let superseded = |e: &Entry| {
        e.channel == Channel::Paper
            && considered
                .iter()
                .any(|o| o.channel == Channel::Paper && family(o) == family(e) && o.seq > e.seq)
    };
    let valid: Vec<&Entry> = considered
        .iter()
        .copied()
        .filter(|e| !superseded(e))
        .filter(|e| e.channel != Channel::Paper || e.confirmed)
        .collect();
    let choose = |channels: &[Channel], first: bool| {
        let of = valid.iter().filter(|e| channels.contains(&e.channel));
        if first {
            of.min_by_key(|e| (family(e), e.seq)).map(|e| e.seq)
        } else {
            of.max_by_key(|e| (family(e), e.seq)).map(|e| e.seq)
        }
    };
    use Channel::*;
    match rule {
        ConflictRule::LatestBeforeClose => {
            choose(&[Online, Paper], false).or_else(|| choose(&[Proxy], false))
        }
        ConflictRule::FirstOnly => {
            choose(&[Online, Paper], true).or_else(|| choose(&[Proxy], true))
        }
        ConflictRule::PaperFinal => choose(&[Paper], false)
            .or_else(|| choose(&[Online], false))
            .or_else(|| choose(&[Proxy], false)),
    }
}

fn arb_rule() -> impl Strategy<Value = ConflictRule> {
    prop::sample::select(RULES.to_vec())
}

/// Ledgers with unique, gapped log indices, some entries after close, some unconfirmed
/// papers, and corrections naming any earlier entry (even non-paper ones, as a hostile log
/// might).
fn arb_ledger(max: usize) -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        (
            1u64..4,
            0u8..3,
            -30i64..4,
            any::<bool>(),
            prop::option::weighted(0.4, any::<prop::sample::Index>()),
        ),
        0..max,
    )
    .prop_map(|raw| {
        let mut seq = 0;
        let mut out: Vec<Entry> = Vec::new();
        for (gap, ch, t, is_confirmed, corrects) in raw {
            seq += gap;
            let channel = [Channel::Online, Channel::Proxy, Channel::Paper][usize::from(ch)];
            let corrects = match (channel, corrects) {
                (Channel::Paper, Some(i)) if !out.is_empty() => Some(out[i.index(out.len())].seq),
                _ => None,
            };
            out.push(Entry {
                seq,
                channel,
                cast_at: CLOSE + t,
                confirmed: is_confirmed,
                corrects,
            });
        }
        out
    })
}

proptest! {
    #[test]
    fn effective_is_the_documented_rule(ledger in arb_ledger(14), rule in arb_rule()) {
        prop_assert_eq!(effective(&ledger, rule, CLOSE), reference(&ledger, rule, CLOSE));
    }

    #[test]
    fn zero_or_one_counts_and_never_an_invalid_entry(ledger in arb_ledger(14), rule in arb_rule()) {
        let chosen = effective(&ledger, rule, CLOSE);
        let candidates: Vec<&Entry> = ledger.iter().filter(|e| Some(e.seq) == chosen).collect();
        prop_assert_eq!(candidates.len(), usize::from(chosen.is_some()));
        if let Some(e) = candidates.first() {
            prop_assert!(e.cast_at < CLOSE, "after close");
            prop_assert!(e.channel != Channel::Paper || e.confirmed, "unconfirmed paper");
            prop_assert!(e.is_well_formed());
            let corrected = ledger.iter().any(|o| {
                o.channel == Channel::Paper && o.is_well_formed() && o.cast_at < CLOSE
                    && o.seq > e.seq && o.rank() == e.rank() && e.channel == Channel::Paper
            });
            prop_assert!(!corrected, "corrected entry");
        } else {
            // Nothing counts only when nothing is valid.
            let any_valid = ledger.iter().any(|e| {
                e.cast_at < CLOSE && e.is_well_formed() && e.channel != Channel::Paper
            });
            prop_assert!(!any_valid);
        }
    }

    #[test]
    fn online_only_latest_before_close_is_the_last_leaf(
        times in prop::collection::vec(0i64..CLOSE, 0..20),
    ) {
        let ledger: Vec<Entry> = times.iter().enumerate()
            .map(|(i, &t)| Entry::online(i as u64, t)).collect();
        prop_assert_eq!(lbc(&ledger), ledger.last().map(|e| e.seq));
        prop_assert_eq!(audit(&ledger, ConflictRule::LatestBeforeClose, CLOSE), vec![]);
    }

    #[test]
    fn a_proxy_entry_never_displaces_an_own_ballot(
        ledger in arb_ledger(12), rule in arb_rule(), gap in 1u64..3, t in -30i64..4,
    ) {
        let before = effective(&ledger, rule, CLOSE);
        let own = before.is_some_and(|s| ledger.iter().any(|e| e.seq == s && e.channel.is_own()));
        let last = ledger.iter().map(|e| e.seq).max().unwrap_or(0);
        let mut with = ledger.clone();
        with.push(Entry::proxy(last + gap, CLOSE + t));
        if own {
            prop_assert_eq!(effective(&with, rule, CLOSE), before);
        }
    }

    #[test]
    fn slice_order_does_not_matter(
        (ledger, shuffled) in arb_ledger(14).prop_flat_map(|l| (Just(l.clone()), Just(l).prop_shuffle())),
        rule in arb_rule(),
    ) {
        prop_assert_eq!(effective(&ledger, rule, CLOSE), effective(&shuffled, rule, CLOSE));
        prop_assert_eq!(audit(&ledger, rule, CLOSE), audit(&shuffled, rule, CLOSE));
    }

    #[test]
    fn pruning_keeps_whatever_may_still_count(
        (ledger, cut) in arb_ledger(16).prop_flat_map(|l| { let n = l.len(); (Just(l), 0..=n) }),
        rule in arb_rule(),
    ) {
        let (head, tail) = ledger.split_at(cut);
        let mut kept = head.to_vec();
        prune(&mut kept, |e| *e, rule, CLOSE);
        prop_assert!(kept.iter().all(|e| head.contains(e)));
        let mut resumed = kept.clone();
        resumed.extend_from_slice(tail);
        prop_assert_eq!(effective(&resumed, rule, CLOSE), effective(&ledger, rule, CLOSE));
        // With online ballots only, one entry is kept.
        if head.iter().all(|e| e.channel == Channel::Online) {
            prop_assert!(kept.len() <= 1);
        }
    }

    /// Ledgers grown only through `admit`: the audit finds nothing, and every online or proxy
    /// ballot admitted counts at once (no receipt for a ballot that does not count).
    #[test]
    fn admitted_ballots_count_at_once_and_pass_the_audit(
        steps in prop::collection::vec((0u8..5, -5i64..2, any::<prop::sample::Index>()), 0..24),
        rule in arb_rule(),
    ) {
        let grant = auth(1, 10, 20);
        let mut ledger: Vec<Entry> = Vec::new();
        for (i, (kind, t, pick)) in steps.into_iter().enumerate() {
            let seq = i as u64;
            let cast_at = CLOSE + t;
            let papers: Vec<u64> = ledger.iter().filter(|e| e.channel == Channel::Paper).map(|e| e.seq).collect();
            let new = match kind {
                0 => Entry::online(seq, cast_at),
                1 => Entry::proxy(seq, cast_at),
                2 => Entry::paper(seq, cast_at),
                3 if !papers.is_empty() => match correction(&ledger, papers[pick.index(papers.len())], seq, cast_at) {
                    Ok(e) => e,
                    Err(_) => continue,
                },
                _ if !papers.is_empty() => match confirmation(&ledger, papers[pick.index(papers.len())], seq, cast_at) {
                    Ok(e) => e,
                    Err(_) => continue,
                },
                _ => continue,
            };
            if admit(&ledger, &new, rule, CLOSE, Some(&grant)).is_ok() {
                ledger.push(new);
                if matches!(new.channel, Channel::Online | Channel::Proxy) {
                    prop_assert_eq!(effective(&ledger, rule, CLOSE), Some(seq));
                }
            }
        }
        prop_assert_eq!(audit(&ledger, rule, CLOSE), vec![]);
    }
}
