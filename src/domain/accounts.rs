//! Rules for account fields.

/// A problem with one field of a form, as a Fluent message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message_id: &'static str,
}

pub const LOGIN_MIN: usize = 3;
pub const LOGIN_MAX: usize = 40;
pub const NAME_MAX: usize = 40;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Logins are 3–40 characters of lowercase letters, digits, `.`, `_` and `-` (a phone number
/// works), so that they are easy to type on a phone and cannot be confused by case.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

pub fn check_new_account(login: &str, display_name: &str, password: &str) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let login = normalise_login(login);
    let n = login.chars().count();
    if !(LOGIN_MIN..=LOGIN_MAX).contains(&n)
        || !login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
    {
        problems.push(FieldProblem {
            field: "login",
            message_id: "account-login-invalid",
        });
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        problems.push(FieldProblem {
            field: "display_name",
            message_id: "account-name-invalid",
        });
    }
    if password.chars().count() < PASSWORD_MIN {
        problems.push(FieldProblem {
            field: "password",
            message_id: "account-password-short",
        });
    } else if password.len() > PASSWORD_MAX_BYTES {
        problems.push(FieldProblem {
            field: "password",
            message_id: "account-password-long",
        });
    }
    problems
}

/// Is `next` a path on this site (and not `//evil.example`)?
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://"))
    .then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_rules() {
        assert!(check_new_account("zhang.san", "张三", "long enough").is_empty());
        assert!(check_new_account("13800138000", "张三", "long enough").is_empty());
        let p = check_new_account("z", "", "short");
        let fields: Vec<_> = p.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["login", "display_name", "password"]);
        assert_eq!(
            check_new_account("张三", "张三", "long enough")[0].field,
            "login"
        );
        assert_eq!(normalise_login("  Zhang "), "zhang");
    }

    #[test]
    fn next_must_stay_here() {
        assert_eq!(safe_next("/me"), Some("/me"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil"), None);
        assert_eq!(safe_next("me"), None);
    }
}
