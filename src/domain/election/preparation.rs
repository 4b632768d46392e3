//! Step 1: the preparation group (筹备组) that runs the election, its members and whom each
//! represents.

use serde::{Deserialize, Serialize};

use crate::domain::ballot::{check_text, invalid, mask_name, str_enum, Invalid};

/// At most this many members in a preparation group.
pub const MAX_MEMBERS: usize = 50;
/// The longest member name.
pub const MAX_MEMBER_NAME_CHARS: usize = 50;

str_enum!(
    /// Whom a member of the preparation group represents.
    MemberRole {
        /// 业主代表
        Owner = "owner",
        /// 社区居委会代表 (the residents' committee)
        ResidentsCommittee = "residents_committee",
        /// 街道办事处代表 (the street office)
        StreetOffice = "street_office",
        /// 建设单位代表 (the developer; sits on the group of a first election)
        Developer = "developer",
    }
);

/// A member as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    pub name: String,
    /// `owner`, `residents_committee`, `street_office` or `developer`.
    pub role: String,
}

/// A preparation group as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreparationGroupInput {
    pub members: Vec<MemberInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub role: MemberRole,
}

/// A checked preparation group, members in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparationGroup {
    pub members: Vec<Member>,
}

impl PreparationGroup {
    /// The members as the public log shows them: names masked ([`mask_name`]), roles kept.
    pub fn masked(&self) -> Vec<Member> {
        self.members
            .iter()
            .map(|m| Member {
                name: mask_name(&m.name),
                role: m.role,
            })
            .collect()
    }
}

/// Check a submitted group: at least one member and at most [`MAX_MEMBERS`], every name
/// given (at most [`MAX_MEMBER_NAME_CHARS`]), every role one of [`MemberRole`]. Two members
/// may share a name (two people can).
pub fn validate_preparation_group(
    input: &PreparationGroupInput,
) -> Result<PreparationGroup, Vec<Invalid>> {
    let mut problems = Vec::new();
    if input.members.is_empty() {
        problems.push(invalid("members", "election-error-no-members"));
    }
    if input.members.len() > MAX_MEMBERS {
        problems.push(invalid("members", "election-error-too-many-members"));
        return Err(problems);
    }
    let mut members = Vec::with_capacity(input.members.len());
    for (i, m) in input.members.iter().enumerate() {
        let name = check_text(
            &mut problems,
            &format!("members[{i}].name"),
            &m.name,
            MAX_MEMBER_NAME_CHARS,
            true,
        );
        match MemberRole::parse(m.role.trim()) {
            Some(role) => members.push(Member { name, role }),
            None => problems.push(invalid(
                format!("members[{i}].role"),
                "election-error-member-role",
            )),
        }
    }
    if problems.is_empty() {
        Ok(PreparationGroup { members })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, role: &str) -> MemberInput {
        MemberInput {
            name: name.into(),
            role: role.into(),
        }
    }

    #[test]
    fn a_group_with_every_role_is_taken() {
        let g = validate_preparation_group(&PreparationGroupInput {
            members: vec![
                member(" 张三 ", "owner"),
                member("李四", "residents_committee"),
                member("王五", "street_office"),
                member("赵六", "developer"),
                member("张三", "owner"),
            ],
        })
        .unwrap();
        assert_eq!(g.members.len(), 5);
        assert_eq!(g.members[0].name, "张三");
        assert_eq!(g.members[2].role, MemberRole::StreetOffice);
        assert_eq!(g.masked()[0].name, "张*");
        assert_eq!(g.masked()[2].role, MemberRole::StreetOffice);
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.as_str()), Some(*r));
        }
    }

    #[test]
    fn an_empty_group_is_refused() {
        let errs = validate_preparation_group(&PreparationGroupInput::default()).unwrap_err();
        assert_eq!(errs, vec![invalid("members", "election-error-no-members")]);
    }

    #[test]
    fn every_bad_member_is_named() {
        let errs = validate_preparation_group(&PreparationGroupInput {
            members: vec![
                member("  ", "owner"),
                member("李四", "chairman"),
                member(&"长".repeat(MAX_MEMBER_NAME_CHARS + 1), "owner"),
                member(&"长".repeat(MAX_MEMBER_NAME_CHARS), "owner"),
            ],
        })
        .unwrap_err();
        assert_eq!(
            errs,
            vec![
                invalid("members[0].name", "ballot-error-required"),
                invalid("members[1].role", "election-error-member-role"),
                invalid("members[2].name", "ballot-error-too-long"),
            ]
        );
    }

    #[test]
    fn group_size_is_bounded() {
        let at_max = PreparationGroupInput {
            members: vec![member("张三", "owner"); MAX_MEMBERS],
        };
        assert!(validate_preparation_group(&at_max).is_ok());
        let over = PreparationGroupInput {
            members: vec![member("张三", "owner"); MAX_MEMBERS + 1],
        };
        assert_eq!(
            validate_preparation_group(&over).unwrap_err(),
            vec![invalid("members", "election-error-too-many-members")]
        );
    }
}
