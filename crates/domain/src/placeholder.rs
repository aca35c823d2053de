//! Placeholders in macros and canned replies: `{{customer.name}}`, `{{customer.email}}`,
//! `{{conversation.number}}`, `{{conversation.subject}}`, `{{agent.name}}` and
//! `{{cf.<key>}}` for a custom field. A template is checked when it is saved (an unknown
//! placeholder is refused with its name) and filled when it is used (a value that is not
//! there becomes empty text).

use crate::DomainError;

const KNOWN: &[&str] = &[
    "customer.name",
    "customer.email",
    "conversation.number",
    "conversation.subject",
    "agent.name",
];

/// The placeholders in `template`, in order, trimmed; `Err` for an unclosed `{{`.
pub(crate) fn names(template: &str) -> Result<Vec<&str>, DomainError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(DomainError::invalid(
                "body",
                "a placeholder opened with {{ is not closed with }}",
            ));
        };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Refuses a template with a placeholder Steward cannot fill.
pub fn check(template: &str) -> Result<(), DomainError> {
    for name in names(template)? {
        let custom = name.strip_prefix("cf.").is_some_and(|k| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !custom && !KNOWN.contains(&name) {
            return Err(DomainError::invalid(
                "body",
                format!(
                    "unknown placeholder {{{{{name}}}}}; use {}, or cf.<field key>",
                    KNOWN.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Fills every placeholder with `value(name)`, or nothing when it has none.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push_str(&value(after[..end].trim()).unwrap_or_default());
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_placeholders_and_custom_fields_pass_and_others_are_named() {
        assert!(
            check("Hi {{customer.name}}, about #{{ conversation.number }} ({{cf.order_id}})")
                .is_ok()
        );
        let err = check("Hi {{customer.nmae}}")
            .expect_err("a typo is refused")
            .to_string();
        assert!(err.contains("customer.nmae"), "{err}");
        assert!(check("Hi {{customer.name").is_err());
        assert!(check("no placeholders at all").is_ok());
    }

    #[test]
    fn filling_uses_the_values_and_leaves_missing_ones_empty() {
        let filled = fill("Hi {{customer.name}}, {{cf.order_id}}!", |n| {
            (n == "customer.name").then(|| "Ann".to_string())
        });
        assert_eq!(filled, "Hi Ann, !");
    }
}
