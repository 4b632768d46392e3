//! A demo community for newcomers: `--demo` fills an empty database with a roster modelled on
//! 三义井社区 (湘潭市雨湖区) and one account for every role.
//!
//! The roster comes from a fixed-seed generator, so the demo is the same on every machine.
//! The passwords are public demo passwords: never seed a database that real people use.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, bail};
use serde_json::json;

use crate::crypto::passwords::hash_password;
use crate::db::accounts::{self, NewUser};
use crate::db::communities::{self, NewCommunity};
use crate::db::{audit, roster, write_tx, DbConn};
use crate::domain::area::{AreaCenti, AreaRecord};
use crate::domain::headcount::{OwnerKind, UnitStatus};
use crate::domain::roles::{GrantedRole as Role, OrganiserBody};
use crate::domain::roster_csv::{RosterFile, RosterOwner, RosterUnit};

/// One demo account to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub login: String,
    pub password: String,
}

pub const DEMO_SLUG: &str = "sanyijing";

/// (role, login, password) of every demo account.
const ACCOUNTS: [(&str, &str, &str); 6] = [
    ("administrator", "admin", "demo-admin-2026"),
    ("organiser (业主委员会)", "organiser", "demo-organiser-2026"),
    ("scrutineer", "scrutineer", "demo-scrutineer-2026"),
    ("building lead (1号楼)", "lead1", "demo-lead-2026"),
    ("owner (co-owner of 1号楼 1-101)", "owner", OWNER_PASSWORD),
    ("owner (O0007, three units)", "owner7", OWNER_PASSWORD),
];
const OWNER_PASSWORD: &str = "demo-owner-2026";

const SEED: u64 = 0x5359_4a20_7874_2026;
const MIN_AREA: AreaCenti = 5800;
const MAX_AREA: AreaCenti = 14350;
const DEVELOPER_REF: &str = "DEV";
const MULTI_REF: &str = "O0007";
/// The co-owned unit whose first owner the `owner` account belongs to.
const OWNER_UNIT: (usize, &str) = (1, "1-101");
/// The three units of O0007, in three buildings.
const MULTI_UNITS: [(usize, &str); 3] = [(2, "2-301"), (4, "3-502"), (5, "401")];
/// The ground-floor unit of the trading company.
const ORG_UNIT: (usize, &str) = (3, "1-101");
const CO_OWNED: usize = 15;
const UNSOLD: usize = 12;
const UNDELIVERED: usize = 4;

/// Common surnames, and given names of men and of women, space-separated.
const SURNAMES: &str = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗";
const MALE_NAMES: &str = "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 斌 建国 建华 志强 国平 海波 \
    文杰 俊 浩 宇航 德明 立新 卫东 小龙 振华";
const FEMALE_NAMES: &str = "芳 娜 秀英 敏 静 丽 艳 娟 霞 桂英 秀兰 红梅 海燕 玉兰 淑珍 丹 萍 \
    婷 慧 雪梅 春兰 小红 晓燕 凤英 玲 美华 金花 湘云";
const PHONE_PREFIXES: &str = "138 139 137 135 136 150 158 186 187 177";

/// The demo accounts, as printed after seeding.
fn logins() -> Vec<DemoLogin> {
    ACCOUNTS
        .iter()
        .map(|&(role, login, password)| DemoLogin {
            role,
            login: login.to_string(),
            password: password.to_string(),
        })
        .collect()
}

/// Seed the demo community and accounts. Idempotent: if a community with slug [`DEMO_SLUG`]
/// already exists, change nothing and return the same logins (the passwords are fixed demo
/// passwords, so they can be printed again).
pub fn seed(conn: &mut DbConn) -> anyhow::Result<Vec<DemoLogin>> {
    write_tx(conn, |conn| {
        if communities::by_slug(conn, DEMO_SLUG)?.is_some() {
            return Ok(logins());
        }
        for (_, login, _) in ACCOUNTS {
            if accounts::user_by_login(conn, login)?.is_some() {
                bail!("an account `{login}` already exists; the demo needs an empty database");
            }
        }
        let community = communities::insert(
            conn,
            &NewCommunity {
                slug: DEMO_SLUG,
                name: "三义井社区",
                name_en: "Sanyijing Community",
                district: "湘潭市雨湖区",
                created_at: chrono::Utc::now().naive_utc(),
            },
        )?;
        let cid = community.id;
        let mut building_ids = Vec::new();
        for b in 1..=6 {
            building_ids.push(roster::add_building(conn, cid, &building_name(b))?.id);
        }
        let file = demo_roster();
        roster::apply(conn, cid, &file)?;

        let owners: BTreeMap<String, (i64, String)> = roster::owners(conn, cid)?
            .into_iter()
            .map(|o| (o.owner_ref, (o.id, o.name)))
            .collect();
        let co_owner = file
            .units
            .iter()
            .find(|u| u.building == building_name(OWNER_UNIT.0) && u.room == OWNER_UNIT.1)
            .and_then(|u| u.owner_refs.first())
            .and_then(|r| owners.get(r))
            .ok_or_else(|| anyhow!("the demo roster lacks its co-owned unit"))?;
        let multi = owners
            .get(MULTI_REF)
            .ok_or_else(|| anyhow!("the demo roster lacks owner {MULTI_REF}"))?;

        let admin = add_user(conn, 0, "系统管理员", None)?;
        let organiser = add_user(conn, 1, "业委会 刘主任", None)?;
        let scrutineer = add_user(conn, 2, "监票人 陈老师", None)?;
        let lead = add_user(conn, 3, "1号楼 楼栋长 王阿姨", None)?;
        let body = Some(OrganiserBody::OwnersCommittee.as_str());
        let first_building = building_ids.first().copied();
        for (user, role, building, body, by) in [
            (organiser, Role::Organiser, None, body, admin),
            (scrutineer, Role::Scrutineer, None, None, organiser),
            (lead, Role::BuildingLead, first_building, None, organiser),
        ] {
            accounts::grant_role(conn, cid, user, role, building, body, Some(by))?;
        }
        add_user(conn, 4, &co_owner.1, Some((cid, co_owner.0)))?;
        add_user(conn, 5, &multi.1, Some((cid, multi.0)))?;

        let after = json!({
            "buildings": building_ids.len(),
            "units": file.units.len(),
            "owners": file.owners.len(),
            "accounts": ACCOUNTS.iter().map(|a| a.1).collect::<Vec<_>>(),
        });
        audit::append(conn, Some(cid), None, "demo.seed", &json!({}), &after)?;
        Ok(logins())
    })
}

/// Create the account `ACCOUNTS[index]`, linked to `owner` (community, owner) if given;
/// returns its id. Role holders get their roles from grants, not from a link.
fn add_user(
    conn: &mut DbConn,
    index: usize,
    display_name: &str,
    owner: Option<(i64, i64)>,
) -> anyhow::Result<i64> {
    let (_, login, password) = ACCOUNTS[index];
    let hash = hash_password(password)?;
    let user = accounts::insert_user(
        conn,
        &NewUser {
            login,
            display_name,
            password_hash: &hash,
            is_admin: index == 0,
            community_id: owner.map(|o| o.0),
            owner_id: owner.map(|o| o.1),
            lang: None,
            created_at: chrono::Utc::now().naive_utc(),
            resident_ref: None,
        },
    )?;
    Ok(user.id)
}

fn building_name(b: usize) -> String {
    format!("{b}号楼")
}

/// A small fixed-seed linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in `lo..=hi` (lo <= hi).
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1).max(1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// One of the space-separated words of `list`.
    fn any<'a>(&mut self, list: &'a str) -> &'a str {
        let words: Vec<&str> = list.split_whitespace().collect();
        words[self.below(words.len())]
    }
}

/// How a unit is held in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Single,
    CoOwned,
    Multi,
    Organisation,
    Unsold,
    Undelivered,
}

/// One unit of the roster before owners are assigned.
struct Slot {
    building: usize,
    room: String,
    area: AreaRecord,
    plan: Option<Plan>,
}

impl Slot {
    fn is(&self, (building, room): (usize, &str)) -> bool {
        self.building == building && self.room == room
    }
}

/// A nearby figure, as a second measurement of the same flat gives.
fn near(rng: &mut Lcg, area: AreaCenti) -> AreaCenti {
    (area + rng.between(-90, 90)).clamp(MIN_AREA, MAX_AREA)
}

/// Most units have a registry area; about 10% only a survey area, about 3% only a contract
/// area; some registered units carry other figures too (the registry wins).
fn area_record(rng: &mut Lcg, area: AreaCenti) -> AreaRecord {
    let roll = rng.below(100);
    let second_survey = rng.chance(25).then(|| near(rng, area));
    let second_contract = rng.chance(15).then(|| near(rng, area));
    let (registry, survey, contract) = match roll {
        0..=9 => (None, Some(area), None),
        10..=12 => (None, None, Some(area)),
        _ => (Some(area), second_survey, second_contract),
    };
    AreaRecord {
        registry,
        survey,
        contract,
    }
}

/// Buildings 1–4 have four stairwells (rooms `1-101` … `4-702`), buildings 5–6 one
/// (rooms `101` … `702`); seven floors of two flats per stairwell. Flats above one another
/// share a layout, so their areas differ only by a few tenths of m².
fn slots(rng: &mut Lcg) -> Vec<Slot> {
    let mut out = Vec::new();
    for building in 1..=6usize {
        let stairwells = if building <= 4 { 4 } else { 1 };
        let (lo, hi) = [(7200, MAX_AREA), (MIN_AREA, 9600)][usize::from(building > 4)];
        for stair in 1..=stairwells {
            let layouts = [rng.between(lo, hi), rng.between(lo, hi)];
            for floor in 1..=7 {
                for (flat, layout) in (1..=2).zip(layouts) {
                    let room = if stairwells > 1 {
                        format!("{stair}-{floor}0{flat}")
                    } else {
                        format!("{floor}0{flat}")
                    };
                    let area = (layout + rng.between(-60, 60)).clamp(MIN_AREA, MAX_AREA);
                    let area = area_record(rng, area);
                    out.push(Slot {
                        building,
                        room,
                        area,
                        plan: None,
                    });
                }
            }
        }
    }
    out
}

/// Give `plan` to a free slot matching `pred`, chosen uniformly.
fn pick(rng: &mut Lcg, slots: &mut [Slot], plan: Plan, pred: fn(&Slot) -> bool) {
    let free: Vec<usize> = (0..slots.len())
        .filter(|&i| slots[i].plan.is_none() && pred(&slots[i]))
        .collect();
    if !free.is_empty() {
        slots[free[rng.below(free.len())]].plan = Some(plan);
    }
}

/// Hands out owner references `O0001`, `O0002`, … (skipping O0007) and unique names.
struct People {
    rng: Lcg,
    next: u32,
    used: BTreeSet<String>,
    owners: Vec<RosterOwner>,
}

impl People {
    fn next_ref(&mut self) -> String {
        self.next += 1;
        if format!("O{:04}", self.next) == MULTI_REF {
            self.next += 1;
        }
        format!("O{:04}", self.next)
    }

    /// A name not given yet (if one is found soon), with `surname` if given.
    fn name(&mut self, female: bool, surname: Option<&str>) -> String {
        let mut name = String::new();
        for _ in 0..40 {
            let random = self.rng.any(SURNAMES);
            let given = self.rng.any(if female { FEMALE_NAMES } else { MALE_NAMES });
            name = format!("{}{given}", surname.unwrap_or(random));
            if !self.used.contains(&name) {
                break;
            }
        }
        name
    }

    fn phone(&mut self) -> Option<String> {
        let (prefix, rest) = (self.rng.any(PHONE_PREFIXES), self.rng.next() % 100_000_000);
        self.rng.chance(60).then(|| format!("{prefix}{rest:08}"))
    }

    /// Put an owner on the roster; returns the reference.
    fn add(&mut self, r: String, name: &str, kind: OwnerKind, phone: Option<&str>) -> String {
        self.used.insert(name.to_string());
        self.owners.push(RosterOwner {
            owner_ref: r.clone(),
            name: name.to_string(),
            kind,
            phone: phone.map(String::from),
        });
        r
    }

    /// A new natural person, with `surname` if given.
    fn person(&mut self, female: bool, surname: Option<&str>) -> String {
        let (r, name, phone) = (self.next_ref(), self.name(female, surname), self.phone());
        self.add(r, &name, OwnerKind::Person, phone.as_deref())
    }
}

/// The whole demo roster, the same on every call.
fn demo_roster() -> RosterFile {
    let mut rng = Lcg(SEED);
    let mut slots = slots(&mut rng);
    for s in &mut slots {
        if s.is(OWNER_UNIT) {
            s.plan = Some(Plan::CoOwned);
        } else if MULTI_UNITS.iter().any(|&u| s.is(u)) {
            s.plan = Some(Plan::Multi);
        } else if s.is(ORG_UNIT) {
            s.plan = Some(Plan::Organisation);
        }
    }
    for _ in 0..UNSOLD {
        pick(&mut rng, &mut slots, Plan::Unsold, |_| true);
    }
    for _ in 0..UNDELIVERED {
        pick(&mut rng, &mut slots, Plan::Undelivered, |s| s.building >= 5);
    }
    for _ in 1..CO_OWNED {
        pick(&mut rng, &mut slots, Plan::CoOwned, |_| true);
    }

    let mut people = People {
        rng: Lcg(SEED ^ 0x0731),
        next: 0,
        used: ["张建华", "赵红梅"].map(String::from).into(),
        owners: Vec::new(),
    };
    let person = OwnerKind::Person;
    people.add(MULTI_REF.into(), "周国强", person, Some("13907325577"));
    let mut units = Vec::with_capacity(slots.len());
    for slot in slots {
        let mut status = UnitStatus::Delivered;
        let mut owner_refs = match slot.plan.unwrap_or(Plan::Single) {
            plan @ (Plan::Single | Plan::Undelivered) => {
                if plan == Plan::Undelivered {
                    status = UnitStatus::Undelivered;
                }
                let female = people.rng.chance(45);
                vec![people.person(female, None)]
            }
            Plan::CoOwned if slot.is(OWNER_UNIT) => {
                let (a, b) = (people.next_ref(), people.next_ref());
                let a = people.add(a, "张建华", person, Some("13873201101"));
                vec![a, people.add(b, "赵红梅", person, None)]
            }
            Plan::CoOwned => {
                // A married couple; most wives keep their own surname, some share it.
                let husband = people.person(false, None);
                let surname = people.owners.last().and_then(|o| o.name.chars().next());
                let shared = surname.filter(|_| people.rng.chance(20)).map(String::from);
                vec![husband, people.person(true, shared.as_deref())]
            }
            Plan::Multi => vec![MULTI_REF.to_string()],
            Plan::Organisation => {
                let (r, name) = (people.next_ref(), "湘潭市恒信贸易有限公司");
                vec![people.add(r, name, OwnerKind::Organisation, Some("0731-58221314"))]
            }
            Plan::Unsold => {
                status = UnitStatus::Unsold;
                vec![DEVELOPER_REF.to_string()]
            }
        };
        owner_refs.sort();
        owner_refs.dedup();
        let (building, room, area) = (building_name(slot.building), slot.room, slot.area);
        units.push(RosterUnit {
            building,
            room,
            area,
            status,
            owner_refs,
        });
    }
    let (dev, name) = (DEVELOPER_REF.to_string(), "湘潭三义置业有限公司");
    people.add(dev, name, OwnerKind::Developer, Some("0731-58220000"));
    let mut owners = people.owners;
    units.sort_by(|a, b| (&a.building, &a.room).cmp(&(&b.building, &b.room)));
    owners.sort_by(|a, b| a.owner_ref.cmp(&b.owner_ref));
    RosterFile { units, owners }
}

/// An open demo ballot (a lift for the whole community: one yes/no question and an election),
/// unless the demo community has ballots already. The demo community's notice period is set
/// to 0 days, with that reason recorded, so the ballot opens at once.
pub fn seed_ballot(
    db: &crate::db::Database,
    settings: &crate::config::Settings,
) -> anyhow::Result<Option<i64>> {
    use crate::db::ballots as db_ballots;
    use crate::domain::ballot::{DefinitionInput, QuestionInput};
    use crate::ledger::{service, Ledger};

    let mut conn = db.conn()?;
    let c = communities::by_slug(&mut conn, DEMO_SLUG)?
        .ok_or_else(|| anyhow!("the demo community is missing"))?;
    if !db_ballots::list(&mut conn, c.id, true)?.is_empty() {
        return Ok(None);
    }
    db_ballots::set_notice(&mut conn, c.id, 0, "演示小区：公告期设为 0 日，便于试用")?;
    let c = communities::by_slug(&mut conn, DEMO_SLUG)?
        .ok_or_else(|| anyhow!("the demo community is missing"))?;
    let organiser = accounts::user_by_login(&mut conn, "organiser")?
        .ok_or_else(|| anyhow!("the demo organiser is missing"))?
        .id;
    let ledger = Ledger::start(
        db.clone(),
        settings.key_encryption_key.clone(),
        settings.log_name.clone(),
        settings.clock.clone(),
    );
    let now = settings.clock.now();
    let input = DefinitionInput {
        title: "关于小区加装电梯和成立监督小组的表决".into(),
        description: "**演示表决**：加装电梯费用按楼层分摊，详见公告栏。\n\n- 同意、反对或弃权\n- 监督小组最多选 2 人".into(),
        kind: "assembly_matter".into(),
        scope_buildings: Vec::new(),
        privacy: "open".into(),
        counting_rule: "special".into(),
        questions: vec![
            QuestionInput {
                kind: "yes_no".into(),
                text: "是否同意加装电梯？".into(),
                options: Vec::new(),
                max_choices: None,
            },
            QuestionInput {
                kind: "approval".into(),
                text: "选举电梯工程监督小组成员".into(),
                options: vec!["刘建国".into(), "陈秀英".into(), "杨志强".into()],
                max_choices: Some(2),
            },
        ],
        opens_at: now + 2,
        closes_at: now + 14 * 86_400,
        scrutineers: Vec::new(),
        cosignatures_required: 0,
        custom_rule: None,
        conflict_rule: None,
        proxy_cap: None,
    };
    let b = service::create(&mut conn, &ledger, &c, organiser, &input)?;
    let year = crate::routes::residents::current_year();
    service::act(
        &mut conn,
        &ledger,
        &c,
        organiser,
        b.id,
        crate::domain::lifecycle::Action::Announce,
        "",
        year,
    )?;
    Ok(Some(b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::passwords::verify_password;
    use crate::domain::headcount::{count, VoterBasis};
    use crate::domain::roster_csv;

    #[test]
    fn the_roster_is_deterministic_and_valid() {
        let file = demo_roster();
        assert_eq!(file, demo_roster());
        let buildings: Vec<String> = (1..=6).map(building_name).collect();
        let csv = roster_csv::to_csv(&file);
        let parsed = roster_csv::parse(csv.as_bytes(), &buildings);
        assert_eq!(parsed, Ok(file.clone()));
        for u in &file.units {
            let (a, _) = u.area.effective().unwrap();
            assert!((MIN_AREA..=MAX_AREA).contains(&a), "{a}");
        }
        let count = |s: UnitStatus| file.units.iter().filter(|u| u.status == s).count();
        assert_eq!(count(UnitStatus::Unsold), UNSOLD);
        assert_eq!(count(UnitStatus::Undelivered), UNDELIVERED);
        let co = file.units.iter().filter(|u| u.owner_refs.len() == 2);
        assert_eq!(co.count(), CO_OWNED);
        let names: BTreeSet<&str> = file.owners.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names.len(), file.owners.len(), "owner names are unique");
        let unregistered = file.units.iter().filter(|u| u.area.registry.is_none());
        assert!((5..file.units.len() / 4).contains(&unregistered.count()));
    }

    #[test]
    fn seeds_once_with_every_role() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite3");
        let url = crate::config::DatabaseUrl::parse(path.to_str().unwrap()).unwrap();
        let db = crate::db::Database::open(&url, 2).unwrap();
        let mut conn = db.conn().unwrap();

        let user =
            |conn: &mut DbConn, login| accounts::user_by_login(conn, login).unwrap().unwrap();
        let first = seed(&mut conn).unwrap();
        let c = communities::by_slug(&mut conn, DEMO_SLUG).unwrap().unwrap();
        assert!(c.name == "三义井社区" && c.district == "湘潭市雨湖区");
        let units = roster::unit_views(&mut conn, c.id, None).unwrap();
        let users = accounts::count_users(&mut conn).unwrap();
        assert_eq!(users, 6);

        let second = seed(&mut conn).unwrap();
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
        let again = roster::unit_views(&mut conn, c.id, None).unwrap();
        assert_eq!(again.len(), units.len());
        assert_eq!(accounts::count_users(&mut conn).unwrap(), users);
        assert_eq!(audit::list(&mut conn, c.id, 10).unwrap().len(), 1);

        let e = count(&roster::facts(&units));
        assert!(e.total_headcount < e.unit_count as i64);
        let basis = |b: VoterBasis| e.voters.iter().filter(move |v| v.basis == b);
        assert_eq!(basis(VoterBasis::Developer).count(), 1);
        assert!(basis(VoterBasis::CoOwners).count() >= 10);
        let o7_id = user(&mut conn, "owner7").owner_id.unwrap();
        assert!(basis(VoterBasis::SameBuyer)
            .any(|v| v.owner_ids == vec![o7_id] && v.unit_ids.len() == 3));

        let owner = user(&mut conn, "owner");
        assert_eq!(owner.community_id, Some(c.id));
        assert!(verify_password("demo-owner-2026", &owner.password_hash));
        let mine = roster::units_of_owner(&mut conn, c.id, owner.owner_id.unwrap()).unwrap();
        assert!(mine.iter().any(|u| u.owners.len() == 2));

        let admin = user(&mut conn, "admin");
        assert!(admin.is_admin && admin.community_id.is_none());
        let grants = accounts::community_grants(&mut conn, c.id).unwrap();
        let roles: Vec<String> = grants
            .iter()
            .map(|(g, login, _)| format!("{}:{login}", g.role))
            .collect();
        let expected = "organiser:organiser scrutineer:scrutineer building_lead:lead1";
        assert_eq!(roles.join(" "), expected);
    }
}
