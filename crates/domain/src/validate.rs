//! Limits on what people type, shared by every channel so the API, the UI and email intake
//! refuse the same things with the same words.

use crate::DomainError;

pub const MAX_SUBJECT: usize = 500;
pub const MAX_NAME: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_BODY: usize = 200_000;
pub const MAX_TAG: usize = 64;

/// Trims `value` and checks it is present and at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    bounded(field, v, max)
}

/// Checks `value` is at most `max` characters; returns it trimmed.
pub fn bounded(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

/// A plausible email address, lower-cased: one `@`, a non-empty local part, a dotted domain,
/// no spaces. Deliverability is the mail system's business.
pub fn email(field: &str, value: &str) -> Result<String, DomainError> {
    let v = bounded(field, value, MAX_EMAIL)?.to_lowercase();
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(DomainError::invalid(field, "is not an email address"))
    }
}

/// A tag: lower-cased, no spaces or commas, at most `MAX_TAG` characters.
pub fn tag(value: &str) -> Result<String, DomainError> {
    let v = required("tags", value, MAX_TAG)?.to_lowercase();
    if v.chars()
        .any(|c| c.is_whitespace() || c == ',' || c.is_control())
    {
        return Err(DomainError::invalid(
            "tags",
            format!("'{v}' has a space or comma; use one word per tag, like billing_issue"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            email("email", " Ann@Example.COM ").as_deref(),
            Ok("ann@example.com")
        );
        assert!(email("email", "ann").is_err());
        assert!(email("email", "ann@localhost").is_err());
        assert!(email("email", "a b@example.com").is_err());
    }

    #[test]
    fn over_long_text_is_refused_with_the_limit() {
        let err = required("subject", &"x".repeat(501), MAX_SUBJECT).expect_err("refused");
        assert!(err.to_string().contains("at most 500"));
    }

    #[test]
    fn tags_with_spaces_are_refused() {
        assert!(tag("two words").is_err());
        assert_eq!(tag("VIP").as_deref(), Ok("vip"));
    }
}
