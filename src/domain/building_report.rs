//! Building reports (楼栋上报): an everyday problem a resident reports for a building (water
//! pooling, dog noise, parking, a broken light), and the steps its building lead (楼栋长) takes:
//! acknowledge, assign to whoever will fix it, close with a note. Pure rules; issue #6 point 5.

use serde::{Deserialize, Serialize};

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_LOCATION_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 2000;
pub const MAX_ASSIGNEE_CHARS: usize = 100;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
    };
}

str_enum!(
    /// What kind of problem.
    Category {
        /// 积水
        WaterPooling = "water_pooling",
        /// 噪音 (e.g. a barking dog)
        Noise = "noise",
        /// 停车
        Parking = "parking",
        /// 照明 (a broken light)
        Lighting = "lighting",
        /// 环境卫生
        Sanitation = "sanitation",
        Other = "other",
    }
);

str_enum!(
    /// Where a report stands.
    Status {
        /// Filed by a resident, not yet seen.
        Reported = "reported",
        /// The building lead has seen it.
        Acknowledged = "acknowledged",
        /// Someone (named in free text) will fix it.
        Assigned = "assigned",
        /// Done with, with a note saying how.
        Closed = "closed",
    }
);

str_enum!(
    /// What a building lead (or an organiser) does to a report.
    Action {
        Acknowledge = "acknowledge",
        Assign = "assign",
        Close = "close",
    }
);

/// The first event of every report's history (not an [`Action`]: nobody chooses it).
pub const REPORTED_EVENT: &str = "report";

/// Why a step is refused; each maps to a message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this step is not possible from the report's current state")]
    Illegal,
    #[error("closing a report needs a note")]
    NoteRequired,
    #[error("assigning a report needs the name of who will fix it")]
    AssigneeRequired,
}

impl Refusal {
    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::Illegal => "report-illegal",
            Refusal::NoteRequired => "report-note-required",
            Refusal::AssigneeRequired => "report-assignee-required",
        }
    }

    /// The input field the refusal is about, if it is about one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Refusal::Illegal => None,
            Refusal::NoteRequired => Some("note"),
            Refusal::AssigneeRequired => Some("assignee"),
        }
    }
}

impl Status {
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

/// The state after `action`, or why not. Acknowledging (note optional) is possible only from
/// `reported`; assigning (an assignee required) from any open state, so that a report can be
/// handed to someone else; closing (a note required) from any open state.
pub fn transition(
    from: Status,
    action: Action,
    note: &str,
    assignee: &str,
) -> Result<Status, Refusal> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        (S::Reported, A::Acknowledge) => S::Acknowledged,
        (S::Reported | S::Acknowledged | S::Assigned, A::Assign) => S::Assigned,
        (S::Reported | S::Acknowledged | S::Assigned, A::Close) => S::Closed,
        _ => return Err(Refusal::Illegal),
    };
    match action {
        A::Assign if assignee.trim().is_empty() => Err(Refusal::AssigneeRequired),
        A::Close if note.trim().is_empty() => Err(Refusal::NoteRequired),
        _ => Ok(to),
    }
}

/// A problem with a submitted field: its name and a message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: &'static str,
}

/// Check one text field; `multiline` allows line breaks and tabs. Returns the trimmed text
/// with Windows line ends made plain.
fn check_text(
    out: &mut Vec<Invalid>,
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> String {
    let t = text.trim();
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if required && t.is_empty() {
        out.push(Invalid {
            field,
            message: "report-error-required",
        });
    } else if t.chars().count() > max {
        out.push(Invalid {
            field,
            message: "report-error-too-long",
        });
    } else if t.chars().any(|c| c.is_control() && !allowed(c)) {
        out.push(Invalid {
            field,
            message: "report-error-control-chars",
        });
    }
    t.replace("\r\n", "\n")
}

/// A report as a resident submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// A building of the community.
    #[serde(default)]
    pub building_id: i64,
    /// `water_pooling`, `noise`, `parking`, `lighting`, `sanitation` or `other`.
    #[serde(default)]
    pub category: String,
    /// Up to 100 characters.
    #[serde(default)]
    pub title: String,
    /// Up to 2000 characters.
    #[serde(default)]
    pub description: String,
    /// Where exactly, e.g. `3单元门口`; up to 100 characters.
    #[serde(default)]
    pub location: String,
}

/// A checked report, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub building_id: i64,
    pub category: Category,
    pub title: String,
    pub description: String,
    pub location: String,
}

/// Check a submitted report; `known_buildings` are the community's building ids. Every
/// problem is named by its field.
pub fn validate_report(
    input: &ReportInput,
    known_buildings: &[i64],
) -> Result<NewReport, Vec<Invalid>> {
    let mut problems = Vec::new();
    if !known_buildings.contains(&input.building_id) {
        problems.push(Invalid {
            field: "building_id",
            message: "report-error-building",
        });
    }
    let category = Category::parse(input.category.trim());
    if category.is_none() {
        problems.push(Invalid {
            field: "category",
            message: "report-error-category",
        });
    }
    let title = check_text(
        &mut problems,
        "title",
        &input.title,
        MAX_TITLE_CHARS,
        true,
        false,
    );
    let description = check_text(
        &mut problems,
        "description",
        &input.description,
        MAX_DESCRIPTION_CHARS,
        false,
        true,
    );
    let location = check_text(
        &mut problems,
        "location",
        &input.location,
        MAX_LOCATION_CHARS,
        false,
        false,
    );
    match category {
        Some(category) if problems.is_empty() => Ok(NewReport {
            building_id: input.building_id,
            category,
            title,
            description,
            location,
        }),
        _ => Err(problems),
    }
}

/// Check the free text of a step (its note and assignee) for length and control characters;
/// whether they are required is [`transition`]'s business. Returns them trimmed.
pub fn validate_step_text(note: &str, assignee: &str) -> Result<(String, String), Vec<Invalid>> {
    let mut problems = Vec::new();
    let note = check_text(&mut problems, "note", note, MAX_NOTE_CHARS, false, true);
    let assignee = check_text(
        &mut problems,
        "assignee",
        assignee,
        MAX_ASSIGNEE_CHARS,
        false,
        false,
    );
    if problems.is_empty() {
        Ok((note, assignee))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle() {
        use Action as A;
        use Status as S;
        assert_eq!(
            transition(S::Reported, A::Acknowledge, "", ""),
            Ok(S::Acknowledged)
        );
        assert_eq!(
            transition(S::Reported, A::Acknowledge, "收到", ""),
            Ok(S::Acknowledged)
        );
        assert_eq!(
            transition(S::Acknowledged, A::Acknowledge, "", ""),
            Err(Refusal::Illegal)
        );
        assert_eq!(
            transition(S::Acknowledged, A::Assign, "", "  "),
            Err(Refusal::AssigneeRequired)
        );
        assert_eq!(
            transition(S::Acknowledged, A::Assign, "", "物业王师傅"),
            Ok(S::Assigned)
        );
        assert_eq!(
            transition(S::Assigned, A::Assign, "", "电工李师傅"),
            Ok(S::Assigned)
        );
        for from in [S::Reported, S::Acknowledged, S::Assigned] {
            assert!(from.is_open());
            assert_eq!(
                transition(from, A::Close, " \n", ""),
                Err(Refusal::NoteRequired)
            );
            assert_eq!(transition(from, A::Close, "已修好", ""), Ok(S::Closed));
        }
        assert!(!S::Closed.is_open());
        for action in Action::ALL {
            assert_eq!(
                transition(S::Closed, *action, "x", "x"),
                Err(Refusal::Illegal)
            );
        }
        // An illegal step is illegal whatever its text.
        assert_eq!(
            transition(S::Closed, A::Close, "", ""),
            Err(Refusal::Illegal)
        );
        assert_eq!(Refusal::NoteRequired.field(), Some("note"));
        assert_eq!(Refusal::Illegal.field(), None);
        assert_eq!(
            Refusal::AssigneeRequired.message_id(),
            "report-assignee-required"
        );
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        assert_eq!(Category::parse("flood"), None);
    }

    fn input() -> ReportInput {
        ReportInput {
            building_id: 7,
            category: "water_pooling".into(),
            title: " 楼下积水 ".into(),
            description: "下雨后\r\n一直不退".into(),
            location: "3单元门口".into(),
        }
    }

    #[test]
    fn a_good_report_is_trimmed() {
        let r = validate_report(&input(), &[7, 8]).unwrap();
        assert_eq!(r.category, Category::WaterPooling);
        assert_eq!(r.title, "楼下积水");
        assert_eq!(r.description, "下雨后\n一直不退");
        assert_eq!(r.location, "3单元门口");
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let bad = ReportInput {
            building_id: 9,
            category: "flood".into(),
            title: "  ".into(),
            description: "x".repeat(MAX_DESCRIPTION_CHARS + 1),
            location: "门口\n".to_owned() + "楼下",
        };
        let problems = validate_report(&bad, &[7]).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| (p.field, p.message)).collect();
        assert_eq!(
            fields,
            vec![
                ("building_id", "report-error-building"),
                ("category", "report-error-category"),
                ("title", "report-error-required"),
                ("description", "report-error-too-long"),
                ("location", "report-error-control-chars"),
            ]
        );
        let long = ReportInput {
            title: "题".repeat(MAX_TITLE_CHARS + 1),
            ..input()
        };
        assert_eq!(validate_report(&long, &[7]).unwrap_err()[0].field, "title");
        let exact = ReportInput {
            title: "题".repeat(MAX_TITLE_CHARS),
            location: "门".repeat(MAX_LOCATION_CHARS),
            ..input()
        };
        assert!(validate_report(&exact, &[7]).is_ok());
        let bell = ReportInput {
            title: "灯坏了\u{7}".into(),
            ..input()
        };
        assert_eq!(
            validate_report(&bell, &[7]).unwrap_err()[0].message,
            "report-error-control-chars"
        );
    }

    #[test]
    fn step_text_is_checked() {
        assert_eq!(
            validate_step_text(" 已修好\r\n谢谢 ", " 王师傅 "),
            Ok(("已修好\n谢谢".to_owned(), "王师傅".to_owned()))
        );
        let p = validate_step_text(&"x".repeat(MAX_NOTE_CHARS + 1), "王\n师傅").unwrap_err();
        assert_eq!(
            p,
            vec![
                Invalid {
                    field: "note",
                    message: "report-error-too-long"
                },
                Invalid {
                    field: "assignee",
                    message: "report-error-control-chars"
                },
            ]
        );
    }
}
