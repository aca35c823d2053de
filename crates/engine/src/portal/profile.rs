//! A customer's own profile in the portal: their name, and a new email address, which takes
//! effect only once a link sent to it is used. The confirmed address becomes the one replies go
//! to; the old one stays an identity of the customer, so mail from it still finds them.

use super::PortalCustomer;
use crate::accounts::digest;
use crate::intake::search_text;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::validate;
use steward_store::events::{self, Doer, NewEvent};
use steward_store::portal::{self, CONFIRM_EMAIL};
use steward_store::{customers, now_ms, search};

impl Engine {
    /// Changes the customer's own name.
    pub async fn portal_rename(&self, c: &PortalCustomer, name: &str) -> Result<()> {
        let name = validate::required("name", name, validate::MAX_NAME)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = customers::get(&mut tx, c.customer_id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        if before.name == name {
            return Ok(());
        }
        let fields = customers::Fields {
            name: &name,
            organization_id: before.organization_id,
            notes: &before.notes,
            tier: before.tier.as_deref(),
        };
        customers::update(&mut tx, c.customer_id, fields, at).await?;
        let text = search_text(&mut tx, c.customer_id).await?;
        search::reindex_customer(&mut tx, c.customer_id, &text).await?;
        events::append(
            &mut tx,
            NewEvent {
                doer: Doer::Customer(c.customer_id),
                subject_type: "customer",
                subject_id: c.customer_id,
                conversation_id: None,
                kind: "customer.updated",
                data: json!({"before": {"name": before.name}, "after": {"name": name}}),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends a confirmation link to `email`, the address the customer wants to use; returns
    /// the link's path as `portal_send_sign_in` does.
    pub async fn portal_change_email(
        &self,
        c: &PortalCustomer,
        email: &str,
    ) -> Result<Option<String>> {
        let email = validate::email("email", email)?;
        let mut conn = self.store.pool().acquire().await?;
        match customers::find_by_identity(&mut conn, "email", &email).await? {
            Some(owner) if owner == c.customer_id && c.email.as_deref() == Some(email.as_str()) => {
                return Err(EngineError::invalid("email", "is already your address"));
            }
            Some(owner) if owner != c.customer_id => {
                return Err(EngineError::conflict(
                    "that address belongs to another account; write to us and we will join them",
                ));
            }
            _ => {}
        }
        drop(conn);
        self.send_portal_link(CONFIRM_EMAIL, &email, Some(c.customer_id), None)
            .await
    }

    /// Uses confirmation link `token`: its address becomes its customer's first (the one
    /// replies go to), the former first one stays as another identity. Returns the address.
    pub async fn portal_confirm_email(&self, token: &str) -> Result<String> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let l = portal::link(&mut tx, &digest(token))
            .await?
            .filter(|l| l.purpose == CONFIRM_EMAIL)
            .ok_or_else(|| EngineError::not_found("confirmation link"))?;
        let customer_id = l
            .customer_id
            .ok_or_else(|| EngineError::not_found("confirmation link"))?;
        if !portal::use_link(&mut tx, l.id, at).await? {
            return Err(EngineError::conflict(
                "this link was already used or has expired; ask for a new one",
            ));
        }
        customers::lock_identity(&mut tx, "email", &l.email).await?;
        match customers::find_by_identity(&mut tx, "email", &l.email).await? {
            Some(owner) if owner != customer_id => {
                return Err(EngineError::conflict(
                    "that address now belongs to another account; write to us and we will join them",
                ));
            }
            Some(_) => {
                customers::make_first_identity(&mut tx, customer_id, "email", &l.email).await?
            }
            None => {
                customers::add_identity(&mut tx, customer_id, "email", &l.email, at).await?;
                customers::make_first_identity(&mut tx, customer_id, "email", &l.email).await?;
            }
        }
        let text = search_text(&mut tx, customer_id).await?;
        search::reindex_customer(&mut tx, customer_id, &text).await?;
        events::append(
            &mut tx,
            NewEvent {
                doer: Doer::Customer(customer_id),
                subject_type: "customer",
                subject_id: customer_id,
                conversation_id: None,
                kind: "identity.added",
                data: json!({"after": {"kind": "email", "value": l.email, "confirmed": true}}),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(l.email)
    }
}
