//! Agents' accounts: passwords (argon2id), workspace sessions, API tokens, and turning a
//! signed-in user into the `Actor` the policy judges.

use crate::{Engine, EngineError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use steward_domain::{Actor, Role, validate};
use steward_store::events::{self, Doer, NewEvent};
use steward_store::models::User;
use steward_store::{now_ms, sessions, users};

/// How long a workspace session lasts.
pub const SESSION_MS: i64 = 7 * 24 * 3600 * 1000;

/// A random secret, hex-encoded, with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What is stored in place of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| EngineError::invalid("password", e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::invalid("password", e.to_string()))
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new password and hashes it off the async threads (argon2 is deliberately slow).
pub(crate) async fn hash_new_password(password: &str) -> Result<String> {
    check_password(password)?;
    let p = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&p))
        .await
        .map_err(|e| EngineError::invalid("password", e.to_string()))?
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(EngineError::invalid(
            "password",
            "must be at least 8 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(EngineError::invalid(
            "password",
            "must be at most 1024 bytes",
        ));
    }
    Ok(())
}

/// A new workspace session: the cookie secret and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// What to change about an agent; `None` leaves a field alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct UserChange<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub team_ids: Option<&'a [i64]>,
    pub password: Option<&'a str>,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password: Option<&'a str>,
    pub team_ids: &'a [i64],
}

impl Engine {
    /// The actor for a user id, with their teams; `None` if the user is gone or deactivated.
    pub async fn actor(&self, user_id: i64) -> Result<Option<Actor>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(user) = users::get(&mut conn, user_id).await? else {
            return Ok(None);
        };
        if user.active == 0 {
            return Ok(None);
        }
        let team_ids = users::team_ids(&mut conn, user_id).await?;
        Ok(Some(Actor {
            user_id,
            name: user.name,
            role: user.role,
            team_ids,
        }))
    }

    /// Checks an email and password; a new session on success. The same work is done for an
    /// unknown email, so timing does not tell which emails exist.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<(Actor, NewSession)>> {
        let email = email.trim().to_lowercase();
        let creds = {
            let mut conn = self.store.pool().acquire().await?;
            users::credentials(&mut conn, &email).await?
        };
        let password = password.to_string();
        let hash = creds.as_ref().and_then(|c| c.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                let _ = verify_password(&password, DUMMY_HASH);
                false
            }
        })
        .await
        .unwrap_or(false);
        let Some(creds) = creds.filter(|c| ok && c.active != 0) else {
            return Ok(None);
        };
        let Some(actor) = self.actor(creds.id).await? else {
            return Ok(None);
        };
        let session = NewSession {
            token: new_secret("s_"),
            csrf: new_secret(""),
        };
        let now = now_ms();
        let mut tx = self.store.write().await?;
        sessions::create(
            &mut tx,
            &digest(&session.token),
            creds.id,
            &session.csrf,
            now,
            now + SESSION_MS,
        )
        .await?;
        tx.commit().await?;
        Ok(Some((actor, session)))
    }

    /// The actor and CSRF token of a live session cookie.
    pub async fn session(&self, token: &str) -> Result<Option<(Actor, String)>> {
        let row = {
            let mut conn = self.store.pool().acquire().await?;
            sessions::get(&mut conn, &digest(token)).await?
        };
        match row {
            Some(s) if s.expires_at > now_ms() => {
                Ok(self.actor(s.user_id).await?.map(|a| (a, s.csrf)))
            }
            _ => Ok(None),
        }
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        sessions::delete(&mut tx, &digest(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor an API token stands for.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        let user = {
            let mut conn = self.store.pool().acquire().await?;
            sessions::token_user(&mut conn, &digest(token)).await?
        };
        match user {
            Some(id) => self.actor(id).await,
            None => Ok(None),
        }
    }

    /// Creates an API token for the user with `email`; the secret is returned once and only
    /// its digest is kept.
    pub async fn create_token(
        &self,
        email: &str,
        name: &str,
        by: Option<&Actor>,
    ) -> Result<String> {
        let name = validate::required("name", name, validate::MAX_NAME)?;
        let email = validate::email("email", email)?;
        let mut tx = self.store.write().await?;
        let user = users::by_email(&mut tx, &email)
            .await?
            .ok_or_else(|| EngineError::not_found("user with that email"))?;
        let secret = new_secret("stw_");
        let now = now_ms();
        let id = sessions::create_token(&mut tx, user.id, &name, &digest(&secret), now).await?;
        events::append(
            &mut tx,
            NewEvent {
                doer: by.map_or(Doer::System, |a| Doer::User(a.user_id)),
                subject_type: "api_token",
                subject_id: id,
                conversation_id: None,
                kind: "api_token.created",
                data: json!({"after": {"user_id": user.id, "name": name}}),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Creates an agent. `by` is the admin doing it (`None` from the command line).
    pub async fn create_user(&self, new: NewUser<'_>, by: Option<&Actor>) -> Result<User> {
        if let Some(a) = by {
            a.may_administer()?;
        }
        let email = validate::email("email", new.email)?;
        let name = validate::required("name", new.name, validate::MAX_NAME)?;
        let hash = match new.password {
            Some(p) => Some(hash_new_password(p).await?),
            None => None,
        };
        let now = now_ms();
        let mut tx = self.store.write().await?;
        if users::by_email(&mut tx, &email).await?.is_some() {
            return Err(EngineError::conflict(format!(
                "a user with the email {email} already exists"
            )));
        }
        let id = users::insert(&mut tx, &email, &name, new.role, hash.as_deref(), now).await?;
        for team in new.team_ids {
            if users::team(&mut tx, *team).await?.is_none() {
                return Err(EngineError::invalid(
                    "team_ids",
                    format!("team {team} does not exist"),
                ));
            }
            let mut members = users::members(&mut tx, *team).await?;
            members.push(id);
            users::set_members(&mut tx, *team, &members).await?;
        }
        events::append(&mut tx, NewEvent {
            doer: by.map_or(Doer::System, |a| Doer::User(a.user_id)),
            subject_type: "user",
            subject_id: id,
            conversation_id: None,
            kind: "user.created",
            data: json!({"after": {"email": email, "name": name, "role": new.role, "team_ids": new.team_ids}}),
            at: now,
        })
        .await?;
        let user = users::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("user"))?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes an agent's name, role, activity, teams or password (admin only).
    pub async fn update_user(&self, by: &Actor, id: i64, change: UserChange<'_>) -> Result<User> {
        let UserChange {
            name,
            role,
            active,
            team_ids,
            password,
        } = change;
        by.may_administer()?;
        let hash = match password {
            Some(p) => Some(hash_new_password(p).await?),
            None => None,
        };
        let now = now_ms();
        let mut tx = self.store.write().await?;
        let before = users::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("user"))?;
        let name = match name {
            Some(n) => validate::required("name", n, validate::MAX_NAME)?,
            None => before.name.clone(),
        };
        let role = role.unwrap_or(before.role);
        let active = active.unwrap_or(before.active != 0);
        if by.user_id == id && (role != Role::Admin || !active) {
            return Err(EngineError::conflict(
                "you cannot demote or deactivate yourself",
            ));
        }
        users::update(&mut tx, id, &name, role, active).await?;
        if let Some(h) = &hash {
            users::set_password(&mut tx, id, h).await?;
        }
        if hash.is_some() || !active {
            sessions::delete_for_user(&mut tx, id).await?;
        }
        let before_teams = users::team_ids(&mut tx, id).await?;
        if let Some(teams) = team_ids {
            for t in users::teams(&mut tx).await? {
                let mut members = users::members(&mut tx, t.id).await?;
                let was = members.contains(&id);
                let should = teams.contains(&t.id);
                if was != should {
                    members.retain(|m| *m != id);
                    if should {
                        members.push(id);
                    }
                    users::set_members(&mut tx, t.id, &members).await?;
                }
            }
            for t in teams {
                if !before_teams.contains(t) && users::team(&mut tx, *t).await?.is_none() {
                    return Err(EngineError::invalid(
                        "team_ids",
                        format!("team {t} does not exist"),
                    ));
                }
            }
        }
        events::append(&mut tx, NewEvent {
            doer: Doer::User(by.user_id),
            subject_type: "user",
            subject_id: id,
            conversation_id: None,
            kind: "user.updated",
            data: json!({
                "before": {"name": before.name, "role": before.role, "active": before.active != 0, "team_ids": before_teams},
                "after": {"name": name, "role": role, "active": active, "team_ids": team_ids, "password_changed": hash.is_some()},
            }),
            at: now,
        })
        .await?;
        let user = users::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("user"))?;
        tx.commit().await?;
        Ok(user)
    }
}

/// A valid argon2id hash of a random password, verified against when the email is unknown.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3Rld2FyZHN0ZXdhcmQ$Wl2Jm5pZ4FhG2ZC3bXz1Q0m2b5Jq4m8a7E9wZx1y2c0";
