//! Agents as the directory lists them, teams with their members, and tags.

use super::log;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::{Actor, validate};
use steward_store::models::{Tag, Team, User};
use steward_store::now_ms;
use steward_store::{tags, users};

fn check_color(color: &str) -> Result<String> {
    let c = color.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c.to_lowercase())
    } else {
        Err(EngineError::invalid("color", "use a colour like #1d4ed8"))
    }
}

impl Engine {
    pub async fn agents(&self) -> Result<Vec<User>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(users::list(&mut conn).await?)
    }

    pub async fn agent(&self, id: i64) -> Result<(User, Vec<i64>)> {
        let mut conn = self.store.pool().acquire().await?;
        let u = users::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("agent"))?;
        let teams = users::team_ids(&mut conn, id).await?;
        Ok((u, teams))
    }

    pub async fn teams(&self) -> Result<Vec<Team>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(users::teams(&mut conn).await?)
    }

    pub async fn team(&self, id: i64) -> Result<(Team, Vec<i64>)> {
        let mut conn = self.store.pool().acquire().await?;
        let t = users::team(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        let members = users::members(&mut conn, id).await?;
        Ok((t, members))
    }

    /// Creates or changes a team (admin). `id` `None` creates.
    pub async fn save_team(
        &self,
        by: Option<&Actor>,
        id: Option<i64>,
        name: &str,
        description: &str,
        members: Option<&[i64]>,
    ) -> Result<Team> {
        if let Some(a) = by {
            a.may_administer()?;
        }
        let name = validate::required("name", name, validate::MAX_NAME)?;
        let description = validate::bounded("description", description, 2_000)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let unique = |e: steward_store::StoreError| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a team called {name} exists"))
            } else {
                e.into()
            }
        };
        let (id, kind, before) = match id {
            Some(id) => {
                let before = users::team(&mut tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("team"))?;
                users::update_team(&mut tx, id, &name, &description)
                    .await
                    .map_err(unique)?;
                (
                    id,
                    "team.updated",
                    json!({"name": before.name, "description": before.description}),
                )
            }
            None => (
                users::insert_team(&mut tx, &name, &description, at)
                    .await
                    .map_err(unique)?,
                "team.created",
                json!(null),
            ),
        };
        if let Some(m) = members {
            for u in m {
                if users::get(&mut tx, *u).await?.is_none() {
                    return Err(EngineError::invalid(
                        "members",
                        format!("agent {u} does not exist"),
                    ));
                }
            }
            users::set_members(&mut tx, id, m).await?;
        }
        log(&mut tx, by, "team", id, kind, json!({"before": before, "after": {"name": name, "description": description, "members": members}}), at).await?;
        let team = users::team(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn tags(&self) -> Result<Vec<Tag>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(tags::list(&mut conn).await?)
    }

    /// Creates or renames/recolours a tag (admin).
    pub async fn save_tag(
        &self,
        by: &Actor,
        id: Option<i64>,
        name: &str,
        color: &str,
    ) -> Result<Tag> {
        by.may_administer()?;
        let name = validate::tag(name)?;
        let color = check_color(color)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let unique = |e: steward_store::StoreError| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a tag called {name} exists"))
            } else {
                e.into()
            }
        };
        let id = match id {
            Some(id) => {
                let before = tags::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("tag"))?;
                tags::update(&mut tx, id, &name, &color)
                    .await
                    .map_err(unique)?;
                log(&mut tx, Some(by), "tag", id, "tag.updated", json!({"before": {"name": before.name, "color": before.color}, "after": {"name": name, "color": color}}), at).await?;
                id
            }
            None => {
                let id = tags::insert(&mut tx, &name, &color, at)
                    .await
                    .map_err(unique)?;
                log(
                    &mut tx,
                    Some(by),
                    "tag",
                    id,
                    "tag.created",
                    json!({"after": {"name": name, "color": color}}),
                    at,
                )
                .await?;
                id
            }
        };
        let tag = tags::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("tag"))?;
        tx.commit().await?;
        Ok(tag)
    }

    pub async fn delete_tag(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = tags::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("tag"))?;
        tags::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "tag",
            id,
            "tag.deleted",
            json!({"before": {"name": before.name, "usage": before.usage}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
