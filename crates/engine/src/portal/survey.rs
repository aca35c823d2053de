//! The satisfaction survey of a customer's own solved request, answered in the portal: the
//! same survey the mail links to (one answer per conversation, changeable for a while).

use super::PortalCustomer;
use crate::csat::{SurveyPage, page_of};
use crate::{Engine, EngineError, Result};
use steward_store::surveys;

impl Engine {
    /// The customer rates request `number` (or changes their rating while they may).
    pub async fn portal_answer_survey(
        &self,
        c: &PortalCustomer,
        number: i64,
        rating: i64,
        comment: Option<&str>,
    ) -> Result<SurveyPage> {
        let conv = self.own_conversation(c, number).await?;
        let mut tx = self.store.write().await?;
        let survey = surveys::of_conversation(&mut tx, conv.id)
            .await?
            .ok_or_else(|| EngineError::not_found("survey"))?;
        let page = page_of(&mut tx, survey).await?;
        self.record_answer(tx, page, rating, comment).await
    }
}
