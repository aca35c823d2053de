//! Admin-defined custom fields on conversations: their kinds and how a value is checked.
//! Values travel as JSON; an absent or `null` value clears the field.

use crate::DomainError;
use crate::kinds::word_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;

word_enum!(
    /// The kinds of value a custom field holds.
    FieldKind, "kind" {
        Text => "text", Number => "number", Date => "date", Dropdown => "dropdown", Checkbox => "checkbox",
    }
);

/// A field definition as the rules need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub kind: FieldKind,
    /// The allowed choices of a dropdown; empty for other kinds.
    pub options: Vec<String>,
}

/// Checks a field key: lower-case letters, digits and underscores, starting with a letter.
pub fn check_key(key: &str) -> Result<(), DomainError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "key",
            "use 1-64 lower-case letters, digits and underscores, starting with a letter",
        ))
    }
}

/// Checks `value` against `def` and returns it normalised; `Ok(None)` clears the field.
pub fn check_value(def: &FieldDef, value: &Value) -> Result<Option<Value>, DomainError> {
    let field = format!("custom_fields.{}", def.key);
    if value.is_null() {
        return Ok(None);
    }
    let bad = |msg: &str| Err(DomainError::invalid(field.clone(), msg.to_string()));
    match def.kind {
        FieldKind::Text => match value.as_str() {
            Some(s) if s.chars().count() <= 10_000 => Ok(Some(Value::String(s.to_string()))),
            Some(_) => bad("at most 10,000 characters"),
            None => bad("expected text"),
        },
        FieldKind::Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(Some(value.clone())),
            _ => bad("expected a number"),
        },
        FieldKind::Checkbox => match value.as_bool() {
            Some(b) => Ok(Some(Value::Bool(b))),
            None => bad("expected true or false"),
        },
        FieldKind::Date => match value.as_str() {
            Some(s) if is_iso_date(s) => Ok(Some(Value::String(s.to_string()))),
            _ => bad("expected a date as YYYY-MM-DD"),
        },
        FieldKind::Dropdown => match value.as_str() {
            Some(s) if def.options.iter().any(|o| o == s) => Ok(Some(Value::String(s.to_string()))),
            _ => bad(&format!("expected one of: {}", def.options.join(", "))),
        },
    }
}

fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    if y < 1 || s.len() != 10 || !(1..=12).contains(&m) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldKind) -> FieldDef {
        FieldDef {
            key: "f".into(),
            kind,
            options: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn dropdown_accepts_only_its_options() {
        assert_eq!(
            check_value(&def(FieldKind::Dropdown), &json!("a")),
            Ok(Some(json!("a")))
        );
        assert!(check_value(&def(FieldKind::Dropdown), &json!("c")).is_err());
    }

    #[test]
    fn dates_must_exist_on_the_calendar() {
        assert!(check_value(&def(FieldKind::Date), &json!("2024-02-29")).is_ok());
        assert!(check_value(&def(FieldKind::Date), &json!("2023-02-29")).is_err());
        assert!(check_value(&def(FieldKind::Date), &json!("2023-2-01")).is_err());
    }

    #[test]
    fn null_clears_any_field() {
        assert_eq!(check_value(&def(FieldKind::Number), &Value::Null), Ok(None));
    }

    #[test]
    fn numbers_reject_text() {
        assert!(check_value(&def(FieldKind::Number), &json!("12")).is_err());
    }

    #[test]
    fn keys_are_snake_case() {
        assert!(check_key("order_id").is_ok());
        assert!(check_key("Order").is_err());
        assert!(check_key("1x").is_err());
    }
}
