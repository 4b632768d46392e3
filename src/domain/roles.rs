//! Who may do what: the roles of the service and the check every route makes on the server.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The roles a community grants (administrator is global, owner and resident come from the
/// roster or register record an account is linked to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantedRole {
    /// 筹备组, 业主委员会 or 社区 staff running the community's business.
    Organiser,
    /// 监票人
    Scrutineer,
    /// 楼栋长, for one building.
    BuildingLead,
}

impl GrantedRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantedRole::Organiser => "organiser",
            GrantedRole::Scrutineer => "scrutineer",
            GrantedRole::BuildingLead => "building_lead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organiser" => Some(GrantedRole::Organiser),
            "scrutineer" => Some(GrantedRole::Scrutineer),
            "building_lead" => Some(GrantedRole::BuildingLead),
            _ => None,
        }
    }
}

/// Which body an organiser acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganiserBody {
    /// 筹备组
    PreparationGroup,
    /// 业主委员会
    OwnersCommittee,
    /// 社区工作人员
    CommunityStaff,
}

impl OrganiserBody {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganiserBody::PreparationGroup => "preparation_group",
            OrganiserBody::OwnersCommittee => "owners_committee",
            OrganiserBody::CommunityStaff => "community_staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "preparation_group" => Some(OrganiserBody::PreparationGroup),
            "owners_committee" => Some(OrganiserBody::OwnersCommittee),
            "community_staff" => Some(OrganiserBody::CommunityStaff),
            _ => None,
        }
    }
}

/// Things a signed-in user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a community (administrators).
    CreateCommunity,
    /// Appoint or remove a community's organisers (administrators).
    AppointOrganiser,
    /// Appoint scrutineers and building leads (organisers).
    AppointHelpers,
    /// See the roster with names, totals and the headcount breakdown.
    ViewRoster,
    /// Import the roster, add buildings.
    EditRoster,
    /// Issue, print and reissue invitation codes.
    IssueCodes,
    /// See the community's accounts and roles.
    ViewUsers,
    /// Read the audit trail.
    ViewAudit,
    /// Draft, announce, open, close and cancel ballots; set the notice period (organisers).
    ManageBallots,
    /// Register a scrutineer key and co-sign tally records (scrutineers).
    Scrutinise,
    /// Take part in the forum: raise proposals, comment, report comments, file building
    /// reports (any member: an owner of the community or anyone holding a role in it).
    Participate,
    /// Review, answer, put to a vote and close proposals; hide and restore comments; block
    /// users (organisers).
    ModerateForum,
    /// Read the moderation log (organisers and scrutineers).
    ReadModerationLog,
    /// Draft conventions, decide amendments, put a version to a ballot (organisers).
    ManageConventions,
}

/// Everything one user holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub is_admin: bool,
    pub organiser_of: BTreeSet<i64>,
    pub scrutineer_of: BTreeSet<i64>,
    /// (community, building)
    pub building_lead_of: BTreeSet<(i64, i64)>,
    /// (community, owner) when the account belongs to an owner on the roster.
    pub owner: Option<(i64, i64)>,
    /// (community, resident reference) when the account belongs to a resident on the register
    /// (居民): a member of the community's forum, not a voter in owners' ballots.
    pub resident: Option<(i64, String)>,
}

impl Grants {
    /// The owner this account belongs to, if it is an owner of `community`.
    pub fn owner_in(&self, community: i64) -> Option<i64> {
        self.owner.filter(|(c, _)| *c == community).map(|(_, o)| o)
    }

    /// May this user do `action` in `community`?
    pub fn allows(&self, action: Action, community: i64) -> bool {
        if self.is_admin {
            return true;
        }
        let organiser = self.organiser_of.contains(&community);
        let scrutineer = self.scrutineer_of.contains(&community);
        match action {
            Action::CreateCommunity | Action::AppointOrganiser => false,
            Action::AppointHelpers
            | Action::EditRoster
            | Action::IssueCodes
            | Action::ViewUsers
            | Action::ManageBallots
            | Action::ModerateForum
            | Action::ManageConventions => organiser,
            Action::ViewRoster | Action::ViewAudit | Action::ReadModerationLog => {
                organiser || scrutineer
            }
            Action::Scrutinise => scrutineer,
            Action::Participate => self.communities().contains(&community),
        }
    }

    /// May this user handle the building reports of `building` in `community`: its building
    /// lead (楼栋长), or an organiser of the community?
    pub fn handles_building(&self, community: i64, building: i64) -> bool {
        self.is_admin
            || self.organiser_of.contains(&community)
            || self.building_lead_of.contains(&(community, building))
    }

    /// Communities in which this user holds any role or owns a unit.
    pub fn communities(&self) -> BTreeSet<i64> {
        let mut all: BTreeSet<i64> = self
            .organiser_of
            .union(&self.scrutineer_of)
            .copied()
            .collect();
        all.extend(self.building_lead_of.iter().map(|(c, _)| *c));
        all.extend(self.owner.map(|(c, _)| c));
        all.extend(self.resident.as_ref().map(|(c, _)| *c));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 14] = [
        Action::CreateCommunity,
        Action::AppointOrganiser,
        Action::AppointHelpers,
        Action::ViewRoster,
        Action::EditRoster,
        Action::IssueCodes,
        Action::ViewUsers,
        Action::ViewAudit,
        Action::ManageBallots,
        Action::Scrutinise,
        Action::Participate,
        Action::ModerateForum,
        Action::ReadModerationLog,
        Action::ManageConventions,
    ];

    #[test]
    fn roles_are_scoped_to_their_community() {
        let organiser = Grants {
            organiser_of: [1].into(),
            ..Default::default()
        };
        let scrutineer = Grants {
            scrutineer_of: [1].into(),
            ..Default::default()
        };
        let owner = Grants {
            owner: Some((1, 9)),
            ..Default::default()
        };
        let admin = Grants {
            is_admin: true,
            ..Default::default()
        };
        for a in ALL {
            assert!(admin.allows(a, 1));
            assert_eq!(owner.allows(a, 1), a == Action::Participate, "{a:?}");
            assert!(!organiser.allows(a, 2), "organiser of 1 in 2: {a:?}");
            assert!(!scrutineer.allows(a, 2));
        }
        assert!(organiser.allows(Action::EditRoster, 1));
        assert!(organiser.allows(Action::IssueCodes, 1));
        assert!(!organiser.allows(Action::CreateCommunity, 1));
        assert!(!organiser.allows(Action::AppointOrganiser, 1));
        assert!(scrutineer.allows(Action::ViewRoster, 1));
        assert!(scrutineer.allows(Action::ViewAudit, 1));
        assert!(!scrutineer.allows(Action::EditRoster, 1));
        assert!(!scrutineer.allows(Action::IssueCodes, 1));
    }

    #[test]
    fn members_participate_and_leads_handle_their_own_building() {
        let lead = Grants {
            building_lead_of: [(1, 7)].into(),
            ..Default::default()
        };
        assert!(lead.allows(Action::Participate, 1));
        assert!(!lead.allows(Action::Participate, 2));
        assert!(!lead.allows(Action::ModerateForum, 1));
        assert!(lead.handles_building(1, 7));
        assert!(!lead.handles_building(1, 8));
        let organiser = Grants {
            organiser_of: [1].into(),
            ..Default::default()
        };
        assert!(organiser.handles_building(1, 8));
        assert!(!organiser.handles_building(2, 8));
        assert!(!Grants::default().allows(Action::Participate, 1));
    }

    #[test]
    fn residents_participate_in_their_community_only() {
        let resident = Grants {
            resident: Some((1, "R-001".into())),
            ..Default::default()
        };
        for a in ALL {
            assert_eq!(resident.allows(a, 1), a == Action::Participate, "{a:?}");
            assert!(!resident.allows(a, 2), "{a:?}");
        }
        assert_eq!(resident.owner_in(1), None);
        assert!(!resident.handles_building(1, 7));
    }
}
