//! The demo re-election (issue #7): runs a whole 三义井-style owners' committee re-election
//! through the public API of a server started with `--demo`, then verifies the result with
//! `yishiting verify`. Shared by `examples/demo_reelection` (behind `scripts/demo-reelection`)
//! and the test that runs it on both databases.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use reqwest::{Client, Method};
use serde_json::{json, Value};

const SLUG: &str = "sanyijing";
const DAY: i64 = 86_400;
const OWNER_PASSWORD: &str = "demo-reelection-2026";

/// What the run did and found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub owners: usize,
    pub online_voters: usize,
    pub revotes: usize,
    /// Ballots cast by proxies (委托投票), one of them under a paper authorisation.
    pub proxy_ballots: usize,
    /// Owners whose proxy ballot was overridden by their own vote.
    pub overridden: usize,
    /// Returned ballot papers entered, corrected and confirmed (书面表决票).
    pub papers: usize,
    pub corrections: usize,
    /// Voters with an effective ballot (the roll).
    pub participants: usize,
    pub election: i64,
    pub ballot: i64,
    pub log_size: usize,
    pub elected: Vec<String>,
    pub verified: bool,
}

struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        m: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{}", self.base, path);
        let mut rb = self.client.request(m, &url);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.with_context(|| url.clone())?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// A call that must answer `want`.
    async fn expect(
        &self,
        m: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, v) = self.call(m, path, Some(token), body).await?;
        if status != want {
            bail!("{path}: expected {want}, got {status}: {v}");
        }
        Ok(v)
    }

    async fn token(&self, login: &str, password: &str) -> anyhow::Result<String> {
        let (status, v) = self
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await?;
        if status != 200 {
            bail!("login {login}: {status} {v}");
        }
        Ok(v["token"].as_str().context("token")?.to_owned())
    }

    async fn advance(&self, admin: &str, secs: i64) -> anyhow::Result<i64> {
        let v = self
            .expect(
                Method::POST,
                "/api/v1/demo/clock",
                admin,
                Some(json!({"advance_seconds": secs})),
                200,
            )
            .await
            .context("the server must be started with --demo")?;
        v["now"].as_i64().context("now")
    }
}

/// A fixed-seed generator, so every run makes the same choices.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Run the re-election against `base` with `online` owners voting online (at most the roster),
/// then `verify_bin verify` the ballot. `say` gets one line per step.
pub async fn run(
    base: &str,
    online: usize,
    verify_bin: &Path,
    say: &dyn Fn(&str),
) -> anyhow::Result<Outcome> {
    let api = Api {
        client: Client::builder().build()?,
        base: base.trim_end_matches('/').to_owned(),
    };
    let c = format!("/api/v1/communities/{SLUG}");
    let admin = api.token("admin", "demo-admin-2026").await?;
    let org = api.token("organiser", "demo-organiser-2026").await?;
    let scrutineer = api.token("scrutineer", "demo-scrutineer-2026").await?;
    let scrutineer_id = api
        .expect(Method::GET, "/api/v1/me", &scrutineer, None, 200)
        .await?["id"]
        .as_i64()
        .context("scrutineer id")?;

    // The scrutineer makes a signing key with the command-line tool and registers it.
    let keys = tempfile::tempdir()?;
    let key_file = keys.path().join("scrutineer-key.json");
    let out = Command::new(verify_bin)
        .args(["key", "generate", "--out"])
        .arg(&key_file)
        .output()
        .context("running yishiting key generate")?;
    if !out.status.success() {
        bail!("key generate: {}", String::from_utf8_lossy(&out.stderr));
    }
    let public_key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    api.expect(
        Method::PUT,
        &format!("{c}/scrutineer-key"),
        &scrutineer,
        Some(json!({"public_key": public_key})),
        200,
    )
    .await?;

    // Owners get their invitation codes and activate accounts.
    let slips = api
        .expect(
            Method::POST,
            &format!("{c}/codes"),
            &org,
            Some(json!({})),
            200,
        )
        .await?;
    let slips = slips.as_array().context("slips")?.clone();
    let owners = slips.len();
    // Thirty owners keep no account: they vote on paper, or through a proxy on paper.
    let online = online.min(slips.len().saturating_sub(30));
    let mut voters: Vec<(String, String)> = Vec::new();
    for s in slips.iter().take(online) {
        let owner_ref = s["owner_ref"].as_str().context("owner_ref")?;
        let login = format!("demo-{}", owner_ref.to_lowercase());
        let (status, v) = api
            .call(
                Method::POST,
                "/api/v1/redeem",
                None,
                Some(json!({"code": s["code"], "login": login, "display_name": s["owner_name"], "password": OWNER_PASSWORD})),
            )
            .await?;
        if status != 201 {
            bail!("redeem {owner_ref}: {status} {v}");
        }
        voters.push((
            owner_ref.to_owned(),
            v["token"].as_str().context("token")?.to_owned(),
        ));
    }
    say(&format!(
        "{} owners on the roster; {} activated accounts to vote online",
        owners,
        voters.len()
    ));
    if voters.len() < 40 {
        bail!("the demo needs at least 40 owners voting online (and 30 more on the roster)");
    }
    let login_of = |owner_ref: &str| format!("demo-{}", owner_ref.to_lowercase());

    // 1. The preparation group.
    let e = api
        .expect(
            Method::POST,
            &format!("{c}/elections"),
            &org,
            Some(json!({
                "title": "三义井小区第三届业主委员会换届选举",
                "kind": "re_election",
                "members": [
                    {"name": "王建国", "role": "owner"}, {"name": "李秀英", "role": "owner"},
                    {"name": "张志强", "role": "owner"}, {"name": "刘主任", "role": "street_office"},
                    {"name": "陈书记", "role": "residents_committee"}
                ]
            })),
            201,
        )
        .await?;
    let id = e["election"]["id"].as_i64().context("election id")?;
    let el = format!("{c}/elections/{id}");
    say(&format!("1. preparation group formed: election {id}"));

    // 2. The announcement, four months before the sitting committee's term ends.
    let t0 = api.advance(&admin, 0).await?;
    let a = api
        .expect(
            Method::POST,
            &format!("{el}/announcement"),
            &org,
            Some(json!({
                "kind": "re_election", "seats": 7, "alternates": 2, "term_years": 5,
                "candidate_requirements": "本小区业主；遵守管理规约，按时交纳物业费；热心公益，有时间和能力履行职责。",
                "sitting_term_ends_at": t0 + 125 * DAY,
                "nomination_opens_at": t0 + DAY,
                "nomination_closes_at": t0 + 8 * DAY,
                "review_ends_at": t0 + 10 * DAY,
                "publication_starts_at": t0 + 11 * DAY,
                "publication_days": 15,
                "voting_opens_at": t0 + 27 * DAY,
                "voting_closes_at": t0 + 30 * DAY,
                "cosigners_required": 10
            })),
            200,
        )
        .await?;
    say(&format!(
        "2. announced: 7 seats, 2 alternates; warnings: {}",
        a["warnings"]
    ));

    // 3. Nominations: ten owners nominate themselves, one paper nomination with co-signers.
    api.advance(&admin, DAY).await?;
    let mut nominations = Vec::new();
    for (_, token) in voters.iter().take(10) {
        let v = api
            .expect(
                Method::POST,
                &format!("{el}/nominations"),
                token,
                Some(json!({"kind": "self", "statement": "愿意为邻居们服务"})),
                201,
            )
            .await?;
        nominations.push(v["id"].as_i64().context("nomination")?);
    }
    let candidate = slips
        .get(online)
        .or(slips.last())
        .context("a paper candidate")?;
    let cosigners: Vec<&str> = voters
        .iter()
        .skip(10)
        .take(10)
        .map(|(r, _)| r.as_str())
        .collect();
    let (status, v) = api
        .call(
            Method::POST,
            &format!("{el}/nominations"),
            Some(&org),
            Some(
                json!({"kind": "co_signed", "candidate_owner_ref": candidate["owner_ref"],
                "cosigner_owner_refs": cosigners, "statement": "联名推荐（纸质提名表）"}),
            ),
        )
        .await?;
    if status == 201 {
        nominations.push(v["id"].as_i64().context("nomination")?);
    } else {
        say(&format!("   the paper nomination was refused: {v}"));
    }
    say(&format!("3. {} nominations", nominations.len()));

    // 4. Qualification review: the last self-nomination is rejected with a reason.
    api.advance(&admin, 7 * DAY).await?;
    for (i, n) in nominations.iter().enumerate() {
        let (decision, reason) = if i == 9 {
            (
                "rejected",
                "经核实，该业主欠缴物业费超过六个月，不符合候选人条件。",
            )
        } else {
            ("accepted", "符合公告规定的候选人条件。")
        };
        api.expect(
            Method::POST,
            &format!("{el}/nominations/{n}/review"),
            &org,
            Some(json!({"decision": decision, "reason": reason})),
            200,
        )
        .await?;
    }
    say("4. qualification review done: every decision with its reason");

    // 5. Publication with the ballot, an objection and its answer.
    api.advance(&admin, 3 * DAY).await?;
    let p = api
        .expect(
            Method::POST,
            &format!("{el}/publication"),
            &org,
            Some(
                json!({"scrutineers": [scrutineer_id], "cosignatures_required": 1, "proxy_cap": 2}),
            ),
            200,
        )
        .await?;
    let ballot = p["election"]["ballot_id"].as_i64().context("ballot")?;
    let o = api
        .expect(
            Method::POST,
            &format!("{el}/objections"),
            &voters[11].1,
            Some(json!({"text": "候选人名单上的联系方式有误，请更正。"})),
            201,
        )
        .await?;
    api.expect(
        Method::POST,
        &format!("{el}/objections/{}/answer", o["id"]),
        &org,
        Some(json!({"answer": "已更正，谢谢指出。"})),
        200,
    )
    .await?;
    say(&format!(
        "5. candidate list published (ballot {ballot}); one objection answered"
    ));

    // 6. Voting: every online voter approves up to 7 candidates; some vote again.
    api.advance(&admin, 16 * DAY).await?;
    api.expect(Method::POST, &format!("{el}/voting"), &org, None, 200)
        .await?;
    let b = api
        .expect(
            Method::GET,
            &format!("{c}/ballots/{ballot}"),
            &org,
            None,
            200,
        )
        .await?;
    let options: Vec<String> = b["questions"][0]["options"]
        .as_array()
        .context("options")?
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect();
    let mut rng = Lcg(0x5359_2026);
    let pick = |rng: &mut Lcg| -> Vec<String> {
        // The first four candidates are popular, the others less so.
        options
            .iter()
            .enumerate()
            .filter(|(k, _)| rng.below(10) < if *k < 4 { 9 } else { 4 })
            .map(|(_, o)| o.clone())
            .take(7)
            .collect()
    };
    let bp = format!("{c}/ballots/{ballot}");

    // Proxies (委托投票): six owners authorise a neighbour online (one proxy may represent
    // two owners in this election); the proxies vote for them. One of the six then votes in
    // person, which overrides the proxy's ballot.
    let mut proxy_ballots = 0;
    // Owners who authorised a proxy, and co-owners of theirs (one voter, one authorisation:
    // the service refuses a second, and the demo leaves those co-owners' votes to the proxy).
    let (mut proxied, mut co_owners) = (Vec::new(), Vec::new());
    for i in 20..30 {
        if proxied.len() == 6 {
            break;
        }
        let (proxy_ref, _) = &voters[30 + proxied.len() / 2];
        let (status, v) = api
            .call(
                Method::POST,
                &format!("{bp}/proxies"),
                Some(&voters[i].1),
                Some(json!({"proxy": login_of(proxy_ref)})),
            )
            .await?;
        match status {
            201 => proxied.push(i),
            409 | 422 => co_owners.push(i),
            _ => bail!("authorising a proxy: {status} {v}"),
        }
    }
    for k in 0..3 {
        let (_, proxy_token) = &voters[30 + k];
        let held = api
            .expect(
                Method::GET,
                &format!("{bp}/proxies"),
                proxy_token,
                None,
                200,
            )
            .await?;
        for a in held["authorisations"]
            .as_array()
            .context("authorisations")?
        {
            if a["proxy_login"] != login_of(&voters[30 + k].0) {
                continue;
            }
            let nonce = format!("{:032x}", rng.0 as u128 * 104_729 + proxy_ballots as u128);
            api.expect(
                Method::POST,
                &format!("{bp}/proxy-casts"),
                proxy_token,
                Some(json!({"voter": a["voter"], "nonce": nonce,
                    "answers": [{"question": "q1", "choices": pick(&mut rng)}]})),
                201,
            )
            .await?;
            proxy_ballots += 1;
        }
    }
    say(&format!(
        "6. {proxy_ballots} ballots cast by proxies for owners who authorised them online"
    ));
    let mut revotes = 0;
    for (i, (_, token)) in voters.iter().enumerate() {
        // The owners who authorised a proxy leave it to them, except the first, who votes in
        // person after all.
        if proxied.iter().skip(1).any(|p| *p == i) || co_owners.contains(&i) {
            continue;
        }
        let rounds = if i % 9 == 4 { 2 } else { 1 };
        for _ in 0..rounds {
            let picks = pick(&mut rng);
            let nonce = format!("{:032x}", rng.0 as u128 * 7919 + i as u128);
            api.expect(
                Method::POST,
                &format!("{c}/ballots/{ballot}/casts"),
                token,
                Some(json!({"nonce": nonce, "answers": [{"question": "q1", "choices": picks}]})),
                201,
            )
            .await?;
        }
        if rounds == 2 {
            revotes += 1;
        }
    }
    say(&format!(
        "   {} owners voted online, {revotes} of them twice (the later ballot counts); \
         one owner's own vote overrode the proxy's",
        voters.len() - proxied.len() + 1 - co_owners.len()
    ));
    let overridden = 1;

    // Paper (书面表决票): the organiser prints every owner's paper; owners without an account
    // return theirs, and one authorises a proxy on paper. Each paper is entered with the
    // SHA-256 of its scan and counts once the scrutineer has confirmed it.
    let roll = api
        .expect(Method::GET, &format!("{bp}/roll"), &org, None, 200)
        .await?;
    let voted: Vec<i64> = roll["voters"]
        .as_array()
        .context("roll")?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    let sheets = api
        .expect(Method::GET, &format!("{bp}/papers"), &org, None, 200)
        .await?;
    let sheets = sheets["papers"].as_array().context("papers")?.clone();
    let absent: Vec<&Value> = sheets
        .iter()
        .filter(|p| p["voter"].as_i64().is_some_and(|v| !voted.contains(&v)))
        .collect();
    if absent.len() < 14 {
        bail!("too few owners without a ballot for the paper part of the demo");
    }
    let scan = |what: &str| yishiting::crypto::tokens::sha256_hex(&format!("scan: {what}"));
    let (proxy_ref, proxy_token) = &voters[33];
    api.expect(
        Method::POST,
        &format!("{bp}/proxies"),
        &org,
        Some(
            json!({"proxy": login_of(proxy_ref), "voter": absent[0]["voter"],
            "scan_sha256": scan("委托书 1")}),
        ),
        201,
    )
    .await?;
    api.expect(
        Method::POST,
        &format!("{bp}/proxy-casts"),
        proxy_token,
        Some(
            json!({"voter": absent[0]["voter"], "nonce": format!("{:032x}", 0x7e57_u128),
            "answers": [{"question": "q1", "choices": pick(&mut rng)}]}),
        ),
        201,
    )
    .await?;
    proxy_ballots += 1;
    let mut papers = 0;
    for p in absent.iter().skip(1).take(12) {
        let code = p["code"].as_str().context("code")?;
        api.expect(
            Method::POST,
            &format!("{bp}/papers"),
            &org,
            Some(json!({"code": code, "scan_sha256": scan(code),
                "answers": [{"question": "q1", "choices": pick(&mut rng)}]})),
            201,
        )
        .await?;
        papers += 1;
    }
    // A returned paper from an owner who had voted online: the paper is later, so it counts.
    if let Some(p) = sheets
        .iter()
        .find(|p| p["voter"].as_i64() == voted.first().copied())
    {
        let code = p["code"].as_str().context("code")?;
        api.expect(
            Method::POST,
            &format!("{bp}/papers"),
            &org,
            Some(json!({"code": code, "scan_sha256": scan(code),
                "answers": [{"question": "q1", "choices": pick(&mut rng)}]})),
            201,
        )
        .await?;
        papers += 1;
    }
    // One entry was mistyped: corrected (appended, never overwritten) before confirmation.
    let pending = api
        .expect(
            Method::GET,
            &format!("{bp}/papers/pending"),
            &scrutineer,
            None,
            200,
        )
        .await?;
    let first = pending["pending"][0]["leaf_index"]
        .as_i64()
        .context("a pending paper")?;
    let first_scan = pending["pending"][0]["scan_sha256"].clone();
    api.expect(
        Method::POST,
        &format!("{bp}/papers"),
        &org,
        Some(json!({"corrects": first, "scan_sha256": first_scan,
            "answers": [{"question": "q1", "choices": pick(&mut rng)}]})),
        201,
    )
    .await?;
    let corrections = 1;
    let pending = api
        .expect(
            Method::GET,
            &format!("{bp}/papers/pending"),
            &scrutineer,
            None,
            200,
        )
        .await?;
    for p in pending["pending"].as_array().context("pending")? {
        api.expect(
            Method::POST,
            &format!("{bp}/papers/{}/confirm", p["leaf_index"]),
            &scrutineer,
            None,
            201,
        )
        .await?;
    }
    let roll = api
        .expect(Method::GET, &format!("{bp}/roll"), &org, None, 200)
        .await?;
    let participants = roll["voters"].as_array().map_or(0, Vec::len);
    say(&format!(
        "   {papers} ballot papers entered with their scans' SHA-256 ({corrections} corrected), \
         each confirmed by the scrutineer; one proxy voted under a paper authorisation; \
         {participants} owners have a ballot that counts"
    ));

    // 7. The count, the objection period, the certified result.
    api.advance(&admin, 3 * DAY + 60).await?;
    api.expect(Method::POST, &format!("{el}/count"), &org, None, 200)
        .await?;
    api.advance(&admin, 8 * DAY).await?;
    let target = format!("{}/c/{SLUG}/ballots/{ballot}", api.base);
    api.expect(
        Method::POST,
        &format!("{c}/ballots/{ballot}/transitions"),
        &org,
        Some(json!({"action": "finalise", "reason": ""})),
        200,
    )
    .await?;
    // The scrutineer verifies the final record independently and co-signs it.
    let out = Command::new(verify_bin)
        .args(["verify", &target, "--json", "-", "--sign-with"])
        .arg(&key_file)
        .output()
        .context("running yishiting verify --sign-with")?;
    if !out.status.success() {
        bail!(
            "the scrutineer's verification failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    api.expect(
        Method::POST,
        &format!("{c}/ballots/{ballot}/cosignatures"),
        &scrutineer,
        Some(json!({"signature": doc["cosignature"]["signature"]})),
        201,
    )
    .await?;
    say("   the scrutineer verified the final record and co-signed it");
    api.expect(
        Method::POST,
        &format!("{c}/ballots/{ballot}/transitions"),
        &org,
        Some(json!({"action": "certify", "reason": ""})),
        200,
    )
    .await?;
    api.expect(
        Method::POST,
        &format!("{el}/certification"),
        &org,
        None,
        200,
    )
    .await?;
    let log = api
        .expect(Method::GET, &format!("{el}/log"), &org, None, 200)
        .await?;
    let elected: Vec<String> = log["leaves"]
        .as_array()
        .context("leaves")?
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l.as_str()?).ok())
        .filter(|l| l["type"] == "certified")
        .flat_map(|l| {
            l["result"]["elected"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    say(&format!("7. result certified: elected {elected:?}"));

    // 8-9. The first meeting and the filing.
    if elected.len() >= 2 {
        let meeting_at = api.advance(&admin, 2 * DAY).await? - 3600;
        api.expect(
            Method::POST,
            &format!("{el}/first-meeting"),
            &org,
            Some(json!({"meeting_at": meeting_at, "chair": elected[0], "vice_chair": elected[1]})),
            200,
        )
        .await?;
        api.expect(Method::POST, &format!("{el}/filing"), &org, None, 200)
            .await?;
        say("8. first meeting held (chair and vice-chair elected); 9. filed");
    } else {
        say("   fewer than two members elected: no first meeting to record");
    }
    let log = api
        .expect(Method::GET, &format!("{el}/log"), &org, None, 200)
        .await?;
    let log_size = log["leaves"].as_array().map_or(0, Vec::len);

    // The ballot's whole public record, checked by the independent verifier.
    let out = Command::new(verify_bin)
        .args(["verify", &target, "--lang", "en"])
        .output()
        .context("running yishiting verify")?;
    let mut verified = out.status.success();
    say(&format!(
        "verify {target}: {}\n{}",
        if verified { "PASSED" } else { "FAILED" },
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
    ));
    // And the whole procedure: the election's log, its steps and its result.
    let target = format!("{}/c/{SLUG}/elections/{id}", api.base);
    let out = Command::new(verify_bin)
        .args(["verify", &target, "--lang", "en"])
        .output()
        .context("running yishiting verify on the election")?;
    let ok = out.status.success();
    verified &= ok;
    say(&format!(
        "verify {target}: {}\n{}",
        if ok { "PASSED" } else { "FAILED" },
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
    ));
    if !ok {
        say(&String::from_utf8_lossy(&out.stdout));
    }
    Ok(Outcome {
        owners,
        online_voters: voters.len(),
        revotes,
        proxy_ballots,
        overridden,
        papers,
        corrections,
        participants,
        election: id,
        ballot,
        log_size,
        elected,
        verified,
    })
}
