//! The portal's optional password: a customer may set one in their profile and then sign in
//! with it as well as by link. Hashed with argon2id off the async threads; a wrong address or
//! password costs the same time as a right one, and the answer does not say which was wrong.

use super::{PortalCustomer, new_session};
use crate::accounts::{DUMMY_HASH, hash_new_password, verify_password};
use crate::{Engine, Result};
use steward_domain::validate;
use steward_store::portal;
use steward_store::{customers, now_ms};

impl Engine {
    pub async fn portal_has_password(&self, c: &PortalCustomer) -> Result<bool> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(portal::password(&mut conn, c.customer_id).await?.is_some())
    }

    /// Sets (or changes) the customer's password; their other sessions end.
    pub async fn portal_set_password(
        &self,
        c: &PortalCustomer,
        session: &str,
        password: &str,
    ) -> Result<()> {
        let hash = hash_new_password(password).await?;
        let mut tx = self.store.write().await?;
        portal::set_password(&mut tx, c.customer_id, &hash, now_ms()).await?;
        portal::delete_other_sessions(&mut tx, c.customer_id, &crate::accounts::digest(session))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the password: links only from then on.
    pub async fn portal_remove_password(&self, c: &PortalCustomer) -> Result<()> {
        let mut tx = self.store.write().await?;
        portal::delete_password(&mut tx, c.customer_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs in with an address and password; the new session's secret, or `None`.
    pub async fn portal_password_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<String>> {
        let email = validate::email("email", email).unwrap_or_default();
        let mut conn = self.store.pool().acquire().await?;
        let customer = customers::find_by_identity(&mut conn, "email", &email).await?;
        let hash = match customer {
            Some(id) => portal::password(&mut conn, id).await?,
            None => None,
        };
        drop(conn);
        let given = password.to_string();
        let known = hash.is_some();
        let ok = tokio::task::spawn_blocking(move || {
            let ok = verify_password(&given, hash.as_deref().unwrap_or(DUMMY_HASH));
            ok && known
        })
        .await
        .unwrap_or(false);
        let Some(customer_id) = customer.filter(|_| ok) else {
            return Ok(None);
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let secret = new_session(&mut tx, customer_id, at).await?;
        tx.commit().await?;
        Ok(Some(secret))
    }
}
