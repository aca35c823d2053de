//! Customer feedback and suggestions. Anyone may send an item (the public form, later the
//! portal and the widget; integrators over the API); one that gives an email address joins
//! that customer's history (found or created as on every channel). Agents list items, tag
//! them with the workspace's tags and move them along (new, reviewed, planned, done,
//! declined); reports count them by kind and by tag. Each item and change is an event.

use crate::directory::log;
use crate::intake::{CustomerRef, identify};
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::Actor;
use steward_domain::feedback::{Kind, Source, State};
use steward_domain::validate;
use steward_store::events::Doer;
use steward_store::feedback::{self as store, Filter, Item, NewItem};
use steward_store::{now_ms, tags};

/// What a customer sends.
#[derive(Debug, Clone)]
pub struct NewFeedback {
    /// The customer, when known (signed in to the portal); else found by `email`.
    pub customer_id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
    pub kind: Kind,
    pub body: String,
    pub source: Source,
}

/// An item with its tags.
#[derive(Debug, Clone)]
pub struct FeedbackItem {
    pub item: Item,
    pub tags: Vec<String>,
}

impl Engine {
    /// Takes an item from a customer (public: no actor).
    pub async fn submit_feedback(&self, f: NewFeedback) -> Result<FeedbackItem> {
        let body = validate::required("body", &f.body, 5000)?;
        let name = f.name.trim().chars().take(200).collect::<String>();
        let email = f
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| validate::email("email", e))
            .transpose()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let customer_id = match (f.customer_id, &email) {
            (Some(id), _) => Some(id),
            (None, Some(e)) => Some(
                identify(
                    &mut tx,
                    &CustomerRef {
                        email: Some(e.clone()),
                        name: (!name.is_empty()).then(|| name.clone()),
                        ..Default::default()
                    },
                    Doer::System,
                    at,
                )
                .await?,
            ),
            (None, None) => None,
        };
        let id = store::insert(
            &mut tx,
            &NewItem {
                customer_id,
                name: &name,
                email: email.as_deref(),
                kind: f.kind.as_str(),
                body: &body,
                source: f.source.as_str(),
                at,
            },
        )
        .await?;
        log(
            &mut tx,
            None,
            "feedback",
            id,
            "feedback.received",
            json!({"after": {"kind": f.kind, "source": f.source, "customer_id": customer_id}}),
            at,
        )
        .await?;
        let item = store::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("feedback"))?;
        tx.commit().await?;
        Ok(FeedbackItem {
            item,
            tags: Vec::new(),
        })
    }

    /// Items, newest first (any signed-in agent).
    pub async fn feedback_items(
        &self,
        _by: &Actor,
        f: &Filter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedbackItem>> {
        let mut conn = self.store.pool().acquire().await?;
        let items = store::list(&mut conn, f, before, limit.clamp(1, 200)).await?;
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let tags = store::tags_of(&mut conn, &ids).await?;
        Ok(items
            .into_iter()
            .map(|item| FeedbackItem {
                tags: tags
                    .iter()
                    .filter(|(id, _)| *id == item.id)
                    .map(|(_, t)| t.clone())
                    .collect(),
                item,
            })
            .collect())
    }

    /// Tags an item and moves it along (any signed-in agent); `None` leaves that part as it is.
    pub async fn update_feedback(
        &self,
        by: &Actor,
        id: i64,
        status: Option<State>,
        new_tags: Option<Vec<String>>,
    ) -> Result<FeedbackItem> {
        let new_tags = new_tags
            .map(|t| crate::conversation::check_tags(&t))
            .transpose()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = store::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("feedback"))?;
        let old_tags: Vec<String> = store::tags_of(&mut tx, &[id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        if let Some(s) = status {
            store::set_status(&mut tx, id, s.as_str(), at).await?;
        }
        if let Some(names) = &new_tags {
            let mut ids = Vec::new();
            for n in names {
                ids.push(tags::ensure(&mut tx, n, at).await?);
            }
            store::set_tags(&mut tx, id, &ids).await?;
        }
        log(
            &mut tx,
            Some(by),
            "feedback",
            id,
            "feedback.updated",
            json!({
                "before": {"status": before.status, "tags": old_tags},
                "after": {"status": status, "tags": new_tags},
            }),
            at,
        )
        .await?;
        let item = store::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("feedback"))?;
        let tags = store::tags_of(&mut tx, &[id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        tx.commit().await?;
        Ok(FeedbackItem { item, tags })
    }
}
