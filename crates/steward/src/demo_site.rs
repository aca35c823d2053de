//! What the demo shows customers besides the workspace: the example shop's chat inbox (key
//! `shop`, served with the widget at `/demo/site`) and a small public help center. Each is
//! made once, written through the engine as the demo admin.

use crate::demo::ADMIN_EMAIL;
use anyhow::Context;
use steward_engine::Engine;

/// The demo admin, as an actor.
async fn demo_admin(engine: &Engine) -> anyhow::Result<steward_domain::Actor> {
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    let admin = engine
        .agents()
        .await
        .map_err(e)?
        .into_iter()
        .find(|u| u.email == ADMIN_EMAIL)
        .context("the demo admin is missing")?;
    engine
        .actor(admin.id)
        .await
        .map_err(e)?
        .context("the demo admin is missing")
}

/// The demo shop's chat inbox (key `shop`, the Support team), made once.
pub async fn ensure_chat_inbox(engine: &Engine) -> anyhow::Result<()> {
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    if !engine.chat_inboxes().await.map_err(e)?.is_empty() {
        return Ok(());
    }
    let actor = demo_admin(engine).await?;
    let team_id = engine
        .teams()
        .await
        .map_err(e)?
        .into_iter()
        .find(|t| t.name == "Support")
        .map(|t| t.id);
    let input = steward_engine::chat::ChatInboxInput {
        key: "shop".into(),
        name: "Acme Outdoor".into(),
        colour: "#2d4a2b".into(),
        greeting: "Hi! Ask us anything about your order or our gear.".into(),
        team_id,
        email_inbox: None,
        calendar_id: None,
        prechat: "optional".into(),
        topics: vec!["Orders".into(), "Returns".into(), "Products".into()],
        enabled: true,
    };
    engine
        .save_chat_inbox(&actor, None, &input)
        .await
        .map_err(e)?;
    Ok(())
}

/// A sample article: title, state, visibility, Markdown.
type SampleArticle = (&'static str, &'static str, &'static str, &'static str);
/// A sample category: name, description, articles.
type SampleCategory = (&'static str, &'static str, &'static [SampleArticle]);

/// The demo's knowledge base: three categories, published public articles, one internal and
/// one draft, made once.
pub async fn ensure_help_center(engine: &Engine) -> anyhow::Result<()> {
    use steward_engine::kb::{ArticleInput, CategoryInput};
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    if !engine.kb_categories().await.map_err(e)?.is_empty() {
        return Ok(());
    }
    let actor = demo_admin(engine).await?;
    let articles: [SampleCategory; 3] = [
        (
            "Orders and shipping",
            "Tracking, delivery times and changes",
            &[
                (
                    "Where is my order?",
                    "published",
                    "public",
                    "Every order gets a **tracking link** by email once it leaves our warehouse, usually within one working day.\n\n1. Open the email *Your order is on its way*.\n2. Follow the tracking link.\n\nNo email after two working days? Check your spam folder, then write to us with your order number.",
                ),
                (
                    "How long does delivery take?",
                    "published",
                    "public",
                    "| Destination | Standard | Express |\n|---|---|---|\n| Domestic | 2–3 days | next day |\n| EU | 3–5 days | 2 days |\n| Elsewhere | 7–12 days | 3–4 days |",
                ),
                (
                    "Changing or cancelling an order",
                    "published",
                    "public",
                    "You can change or cancel an order until it ships. Open **My orders**, choose the order and pick *Change* or *Cancel*. Once it has shipped, return it instead.",
                ),
            ],
        ),
        (
            "Returns and refunds",
            "Sending things back and getting your money",
            &[
                (
                    "How do I return an item?",
                    "published",
                    "public",
                    "Unused items can be returned within **30 days**.\n\n1. Print the return label from *My orders*.\n2. Pack the item in its box.\n3. Drop it at any parcel shop.\n\nWe refund within 5 working days of receiving it.",
                ),
                (
                    "When will I get my refund?",
                    "published",
                    "public",
                    "Refunds go back to the card you paid with within **5 working days** of the return reaching us. Your bank may take another 3–5 days.",
                ),
                (
                    "Refund approval limits",
                    "published",
                    "internal",
                    "Agents may refund up to **€200** without approval. Above that, ask a supervisor in the *Billing* team and note the approval on the conversation.",
                ),
            ],
        ),
        (
            "Products and care",
            "Using and looking after your gear",
            &[
                (
                    "Caring for a waterproof tent",
                    "published",
                    "public",
                    "Dry the tent fully before storing it. Clean with lukewarm water only; detergents strip the waterproof coating. Re-proof the fly sheet once a season.",
                ),
                (
                    "Sizing guide for boots",
                    "draft",
                    "public",
                    "Draft: measure your foot in the evening, add 1 cm for thick socks…",
                ),
            ],
        ),
    ];
    for (i, (name, description, list)) in articles.iter().enumerate() {
        let c = engine
            .save_kb_category(
                &actor,
                None,
                &CategoryInput {
                    name: (*name).into(),
                    description: (*description).into(),
                    slug: None,
                    position: i as i64,
                    parent_id: None,
                },
            )
            .await
            .map_err(e)?;
        for (title, state, visibility, body) in list.iter() {
            engine
                .save_kb_article(
                    &actor,
                    None,
                    &ArticleInput {
                        title: (*title).into(),
                        body: (*body).into(),
                        category_id: Some(c.id),
                        slug: None,
                        state: Some((*state).into()),
                        visibility: Some((*visibility).into()),
                        locale: None,
                        tags: Vec::new(),
                        translation_of: None,
                    },
                )
                .await
                .map_err(e)?;
        }
    }
    Ok(())
}

/// The portal's web forms, once: returns (team Billing, order number and reason required),
/// order questions (order number optional) and anything else, on two custom fields.
pub async fn ensure_web_forms(engine: &Engine) -> anyhow::Result<()> {
    use steward_engine::forms::{FormFieldInput, FormInput};
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    if !engine.web_forms(false).await.map_err(e)?.is_empty() {
        return Ok(());
    }
    let actor = demo_admin(engine).await?;
    let fields = engine.custom_fields().await.map_err(e)?;
    if !fields.iter().any(|f| f.key == "order_number") {
        engine
            .create_custom_field(&actor, "order_number", "Order number", "text", &[])
            .await
            .map_err(e)?;
    }
    if !fields.iter().any(|f| f.key == "return_reason") {
        let reasons = [
            "Too small",
            "Too big",
            "Damaged",
            "Not as described",
            "Changed my mind",
        ];
        let options: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
        engine
            .create_custom_field(&actor, "return_reason", "Reason", "dropdown", &options)
            .await
            .map_err(e)?;
    }
    let billing = engine
        .teams()
        .await
        .map_err(e)?
        .into_iter()
        .find(|t| t.name == "Billing")
        .map(|t| t.id);
    let ask = |key: &str, required: bool| FormFieldInput {
        key: key.into(),
        required,
    };
    let forms = [
        (
            "Return or exchange an item",
            "Within 30 days of delivery.",
            billing,
            vec!["returns"],
            vec![ask("order_number", true), ask("return_reason", true)],
        ),
        (
            "A question about an order",
            "Delivery, changes, tracking.",
            None,
            vec!["orders"],
            vec![ask("order_number", false)],
        ),
        (
            "Something else",
            "Products, your account, anything.",
            None,
            vec![],
            vec![],
        ),
    ];
    for (i, (name, description, team_id, tags, fields)) in forms.into_iter().enumerate() {
        let input = FormInput {
            name: name.into(),
            description: description.into(),
            slug: None,
            team_id,
            tags: tags.into_iter().map(str::to_string).collect(),
            fields,
            position: i as i64,
            active: Some(true),
        };
        engine
            .save_web_form(&actor, None, &input)
            .await
            .map_err(e)?;
    }
    Ok(())
}
