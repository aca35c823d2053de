//! The parsed SLA policies, calendars and automation rules, kept in memory while `counters.sla_version` stands:
//! a conversation change then costs one small read instead of loading and parsing every
//! policy. Any change to policies or calendars bumps the version in its transaction, so every
//! node reloads on its next look.

use super::PolicyView;
use crate::Result;
use crate::automations::RuleView;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use steward_domain::calendar::Calendar;
use steward_store::Conn;

#[derive(Debug, Default)]
pub struct Cache {
    inner: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    version: i64,
    policies: Arc<Vec<PolicyView>>,
    calendars: HashMap<i64, Arc<Calendar>>,
    automations: Option<Arc<Vec<RuleView>>>,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The policies in order, as of `version` (read with the conversation's facts).
    pub(crate) async fn policies(
        &self,
        conn: &mut Conn,
        version: i64,
    ) -> Result<Arc<Vec<PolicyView>>> {
        if let Some(c) = self.lock().as_ref().filter(|c| c.version == version) {
            return Ok(c.policies.clone());
        }
        let policies: Arc<Vec<PolicyView>> = Arc::new(
            steward_store::sla::list(conn)
                .await?
                .iter()
                .map(PolicyView::from_row)
                .collect(),
        );
        *self.lock() = Some(Cached {
            version,
            policies: policies.clone(),
            calendars: HashMap::new(),
            automations: None,
        });
        Ok(policies)
    }

    /// The automation rules in order, as of `version`.
    pub(crate) async fn automations(
        &self,
        conn: &mut Conn,
        version: i64,
    ) -> Result<Arc<Vec<RuleView>>> {
        self.policies(conn, version).await?;
        if let Some(rules) = self
            .lock()
            .as_ref()
            .filter(|c| c.version == version)
            .and_then(|c| c.automations.clone())
        {
            return Ok(rules);
        }
        let rules: Arc<Vec<RuleView>> = Arc::new(
            steward_store::automations::list(conn)
                .await?
                .iter()
                .filter_map(RuleView::from_row)
                .collect(),
        );
        if let Some(c) = self.lock().as_mut().filter(|c| c.version == version) {
            c.automations = Some(rules.clone());
        }
        Ok(rules)
    }

    /// Calendar `id`, checked, as of `version`.
    pub(crate) async fn calendar(
        &self,
        conn: &mut Conn,
        version: i64,
        id: i64,
    ) -> Result<Arc<Calendar>> {
        if let Some(cal) = self
            .lock()
            .as_ref()
            .filter(|c| c.version == version)
            .and_then(|c| c.calendars.get(&id).cloned())
        {
            return Ok(cal);
        }
        let cal = Arc::new(crate::calendars::working_calendar(conn, id).await?);
        if let Some(c) = self.lock().as_mut().filter(|c| c.version == version) {
            c.calendars.insert(id, cal.clone());
        }
        Ok(cal)
    }
}
