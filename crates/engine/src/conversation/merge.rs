//! Merging two conversations about the same request: the source's messages move to the
//! target, tags and followers are combined, and the source is closed and points to the
//! survivor.

use super::record;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::lifecycle::{MergeSide, check_merge};
use steward_domain::{Actor, Status};
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::models::Conversation;
use steward_store::now_ms;

impl Engine {
    /// Merges `source_id` into `target_id`; returns the target.
    pub async fn merge_conversations(
        &self,
        by: &Actor,
        source_id: i64,
        target_id: i64,
    ) -> Result<Conversation> {
        let at = now_ms();
        let doer = Doer::User(by.user_id);
        let mut tx = self.store.write().await?;
        // Lock both rows, lower id first, so two opposite merges cannot both pass.
        let backend = self.store.backend();
        for id in [source_id.min(target_id), source_id.max(target_id)] {
            conversations::get_for_update(&mut tx, backend, id).await?;
        }
        let source = conversations::get(&mut tx, source_id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        super::authorize(&mut tx, by, &source).await?;
        let target = conversations::get(&mut tx, target_id)
            .await?
            .ok_or_else(|| EngineError::not_found("target conversation"))?;
        super::authorize(&mut tx, by, &target).await?;
        let side = |c: &Conversation| MergeSide {
            id: c.id,
            status: c.status,
            merged_into: c.merged_into,
        };
        check_merge(side(&source), side(&target))?;

        let moved = conversations::move_messages(&mut tx, source.id, target.id).await? as i64;
        let mut tag_ids: Vec<i64> = Vec::new();
        for (_, name) in conversations::tags_of(&mut tx, &[source.id, target.id]).await? {
            let id = steward_store::tags::ensure(&mut tx, &name, at).await?;
            if !tag_ids.contains(&id) {
                tag_ids.push(id);
            }
        }
        let tags_before: Vec<String> = conversations::tags_of(&mut tx, &[target.id])
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        conversations::set_tags(&mut tx, target.id, &tag_ids).await?;
        let tags_after: Vec<String> = conversations::tags_of(&mut tx, &[target.id])
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        if tags_after != tags_before {
            record(
                &mut tx,
                doer,
                target.id,
                "tags.changed",
                json!({"before": tags_before, "after": tags_after, "reason": "merge"}),
                at,
            )
            .await?;
        }
        let mut followers = conversations::followers(&mut tx, target.id).await?;
        followers.extend(conversations::followers(&mut tx, source.id).await?);
        followers.extend(source.assignee_id);
        followers.retain(|f| Some(*f) != target.assignee_id);
        followers.sort_unstable();
        followers.dedup();
        let followers_before = conversations::followers(&mut tx, target.id).await?;
        if followers != followers_before {
            conversations::set_followers(&mut tx, target.id, &followers).await?;
            record(
                &mut tx,
                doer,
                target.id,
                "followers.changed",
                json!({"before": followers_before, "after": followers, "reason": "merge"}),
                at,
            )
            .await?;
        }

        // People copied on the source's mail are copied on the target's replies too.
        for address in steward_store::email::cc_of(&mut tx, source.id).await? {
            steward_store::email::add_cc(&mut tx, target.id, &address, at).await?;
        }

        let mut closing = Changes {
            merged_into: Some(target.id),
            agent_replies: -source.agent_replies,
            ..Default::default()
        };
        if source.status != Status::Closed {
            closing.status = Some(Status::Closed);
            closing.closed_at = Some(at);
        }
        conversations::update(&mut tx, source.id, &closing, at, false, -moved).await?;
        let mut reopen = Changes {
            agent_replies: source.agent_replies,
            ..Default::default()
        };
        if matches!(target.status, Status::Solved) && source.status.is_active() {
            reopen.status = Some(Status::Open);
            record(&mut tx, doer, target.id, "status.changed", json!({"before": target.status, "after": Status::Open, "reason": "an open conversation was merged in"}), at).await?;
        }
        conversations::update(&mut tx, target.id, &reopen, at, true, moved).await?;
        record(&mut tx, doer, source.id, "conversation.merged", json!({
            "before": {"status": source.status}, "after": {"merged_into": target.id, "number": target.number, "messages_moved": moved},
        }), at)
        .await?;
        record(
            &mut tx,
            doer,
            target.id,
            "conversation.merged_in",
            json!({
                "after": {"from": source.id, "number": source.number, "messages_moved": moved},
            }),
            at,
        )
        .await?;
        self.refresh_sla(&mut tx, source.id).await?;
        let mut after = conversations::get(&mut tx, target.id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        self.refresh_sla_of(&mut tx, &mut after).await?;
        tx.commit().await?;
        self.announce(&source, None, "merged", Some(by.user_id))
            .await;
        self.announce(&after, Some(&target), "merged", Some(by.user_id))
            .await;
        Ok(after)
    }
}
