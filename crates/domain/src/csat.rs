//! Customer satisfaction (CSAT) surveys: the workspace's settings (scale, delay, channels, how
//! often a customer may be asked, how long an answer may be changed), what a rating means on
//! each scale, and the score (the share of satisfied answers).

use crate::kinds::word_enum;
use crate::{Channel, DomainError};
use serde::{Deserialize, Serialize};

word_enum!(
    /// How customers answer: good or bad, or one to five.
    Scale, "scale" { GoodBad => "good_bad", FivePoint => "five_point" }
);

impl Scale {
    /// The ratings of this scale, lowest first, with their labels.
    pub fn ratings(self) -> &'static [(i64, &'static str)] {
        match self {
            Scale::GoodBad => &[(0, "Bad, I'm unsatisfied"), (1, "Good, I'm satisfied")],
            Scale::FivePoint => &[
                (1, "1 · Very unsatisfied"),
                (2, "2 · Unsatisfied"),
                (3, "3 · Neutral"),
                (4, "4 · Satisfied"),
                (5, "5 · Very satisfied"),
            ],
        }
    }

    /// Checks a rating on this scale.
    pub fn check(self, rating: i64) -> Result<i64, DomainError> {
        if self.ratings().iter().any(|(r, _)| *r == rating) {
            Ok(rating)
        } else {
            Err(DomainError::invalid(
                "rating",
                match self {
                    Scale::GoodBad => "must be 1 (good) or 0 (bad)",
                    Scale::FivePoint => "must be from 1 to 5",
                },
            ))
        }
    }

    /// A satisfied answer: good, or 4 and 5 of five.
    pub fn satisfied(self, rating: i64) -> bool {
        match self {
            Scale::GoodBad => rating == 1,
            Scale::FivePoint => rating >= 4,
        }
    }

    /// A rating in words ("good", "4 of 5").
    pub fn word(self, rating: i64) -> String {
        match self {
            Scale::GoodBad if rating == 1 => "good".into(),
            Scale::GoodBad => "bad".into(),
            Scale::FivePoint => format!("{rating} of 5"),
        }
    }
}

/// The workspace's survey settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: bool,
    pub scale: Scale,
    /// Minutes after a conversation is solved before the survey goes out (and only if it is
    /// still solved then).
    pub delay_minutes: i64,
    /// The channels whose conversations are surveyed.
    pub channels: Vec<Channel>,
    /// A customer asked within this many days is not asked again.
    pub ask_again_after_days: i64,
    /// How long after answering a customer may change their answer, in days.
    pub changeable_days: i64,
    /// The question, with placeholders as in macros.
    pub question: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: false,
            scale: Scale::GoodBad,
            delay_minutes: 60,
            channels: vec![Channel::Email, Channel::Chat, Channel::Web],
            ask_again_after_days: 14,
            changeable_days: 7,
            question: "How would you rate the support you received?".into(),
        }
    }
}

impl Settings {
    /// Refuses settings that could not work as meant.
    pub fn check(&self) -> Result<(), DomainError> {
        if !(0..=30 * 24 * 60).contains(&self.delay_minutes) {
            return Err(DomainError::invalid(
                "delay_minutes",
                "must be from 0 to 43200 (30 days)",
            ));
        }
        if !(0..=365).contains(&self.ask_again_after_days) {
            return Err(DomainError::invalid(
                "ask_again_after_days",
                "must be from 0 to 365",
            ));
        }
        if !(0..=90).contains(&self.changeable_days) {
            return Err(DomainError::invalid(
                "changeable_days",
                "must be from 0 to 90",
            ));
        }
        if self.enabled && self.channels.is_empty() {
            return Err(DomainError::invalid(
                "channels",
                "must name at least one channel while surveys are on",
            ));
        }
        let q = self.question.trim();
        if q.is_empty() || q.chars().count() > 300 {
            return Err(DomainError::invalid(
                "question",
                "must be 1 to 300 characters",
            ));
        }
        Ok(())
    }
}

/// The CSAT score of some answers: the percentage satisfied, `None` without answers.
pub fn score(answers: impl IntoIterator<Item = (Scale, i64)>) -> Option<f64> {
    let (mut rated, mut satisfied) = (0u64, 0u64);
    for (scale, rating) in answers {
        rated += 1;
        satisfied += u64::from(scale.satisfied(rating));
    }
    (rated > 0).then(|| satisfied as f64 * 100.0 / rated as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_checked_against_their_scale() {
        assert!(Scale::GoodBad.check(1).is_ok());
        assert!(Scale::GoodBad.check(5).is_err());
        assert!(Scale::FivePoint.check(5).is_ok());
        assert!(Scale::FivePoint.check(0).is_err());
        assert_eq!(Scale::FivePoint.word(4), "4 of 5");
        assert_eq!(Scale::GoodBad.word(0), "bad");
    }

    #[test]
    fn the_score_is_the_share_of_satisfied_answers_on_either_scale() {
        // Good, bad, 5, 4, 3: three satisfied of five.
        let answers = [
            (Scale::GoodBad, 1),
            (Scale::GoodBad, 0),
            (Scale::FivePoint, 5),
            (Scale::FivePoint, 4),
            (Scale::FivePoint, 3),
        ];
        assert_eq!(score(answers), Some(60.0));
        assert_eq!(score([]), None);
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        assert!(Settings::default().check().is_ok());
        let bad = [
            Settings {
                delay_minutes: -1,
                ..Default::default()
            },
            Settings {
                enabled: true,
                channels: vec![],
                ..Default::default()
            },
            Settings {
                question: " ".into(),
                ..Default::default()
            },
            Settings {
                changeable_days: 1000,
                ..Default::default()
            },
        ];
        for s in bad {
            assert!(s.check().is_err(), "{s:?}");
        }
    }
}
