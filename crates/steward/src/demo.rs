//! Sample data for `steward demo`: 3 teams, 8 agents, 30 organizations, 200 customers and
//! 1,000 conversations over the last 90 days on every channel, with replies, internal notes,
//! statuses and tags. Written through the engine, so it obeys every rule real data does.
//! Seeded once; a second run finds the admin and reuses the data.

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use steward_domain::{Actor, AuthorKind, Channel, Priority, Role, Status, Visibility};
use steward_engine::Engine;
use steward_engine::accounts::NewUser;
use steward_engine::conversation::{NewConversationCmd, NewMessageCmd, Patch};
use steward_engine::intake::CustomerRef;
use steward_store::sql::Sql;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "steward-demo";

pub struct Login {
    pub email: String,
    pub password: String,
}

const FIRST: &[&str] = &[
    "Ava", "Liam", "Mia", "Noah", "Emma", "Lucas", "Sofia", "Mateo", "Yuki", "Amara", "Jonas",
    "Priya", "Chen", "Fatima", "Olga", "Diego", "Hana", "Kwame", "Lea", "Omar",
];
const LAST: &[&str] = &[
    "Johnson", "Nguyen", "Schmidt", "García", "Rossi", "Kowalski", "Tanaka", "Okafor", "Silva",
    "Dubois", "Larsen", "Patel", "Kim", "Haddad", "Novak",
];
const COMPANIES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "Oceanic",
    "Pied Piper",
];
const KINDS: &[&str] = &["Foods", "Labs", "Logistics", "Studio", "Health"];
const PRODUCTS: &[&str] = &[
    "the Pro plan",
    "the mobile app",
    "my order",
    "the smart thermostat",
    "the wireless earbuds",
    "the annual subscription",
    "the desk lamp",
    "the API",
    "my invoice",
    "the espresso machine",
];

/// (subject, first message, tag, team index)
const TOPICS: &[(&str, &str, &str, usize)] = &[
    (
        "Where is {p}?",
        "Hi, I ordered {p} ten days ago and the tracking page has not moved since Monday. Can you check where it is?",
        "shipping",
        0,
    ),
    (
        "Refund for {p}",
        "Hello, {p} arrived damaged. I would like a refund or a replacement, whichever is faster. Photos attached to my previous email.",
        "refund",
        1,
    ),
    (
        "Charged twice for {p}",
        "I see two charges on my card statement for {p}. Please refund the duplicate payment.",
        "billing",
        1,
    ),
    (
        "Cannot log in",
        "Since this morning I cannot sign in; the password reset email never arrives. I checked the spam folder too.",
        "account",
        2,
    ),
    (
        "Question about {p}",
        "Before I buy {p}: does it work with the older model, and is there a student discount?",
        "presales",
        0,
    ),
    (
        "{p} stopped working",
        "After the latest update {p} keeps restarting. I tried turning it off and on again. Error code E42.",
        "bug",
        2,
    ),
    (
        "Change my delivery address",
        "Can I still change the delivery address for {p}? I am moving next week.",
        "shipping",
        0,
    ),
    (
        "Cancel {p}",
        "Please cancel {p}. It is not what I expected. How long does the refund take?",
        "cancellation",
        1,
    ),
    (
        "Invoice needed for {p}",
        "Our accounting needs an invoice with our VAT number for {p}. Could you send one?",
        "billing",
        1,
    ),
    (
        "Exchange {p} for another size",
        "The size does not fit. Can I exchange {p} for a larger one without paying shipping again?",
        "exchange",
        0,
    ),
    (
        "Complaint about support",
        "This is the third time I write about {p} and nobody answered. I am very disappointed.",
        "complaint",
        0,
    ),
    (
        "Integration with {p} fails",
        "Our webhook calls to {p} return 500 errors since yesterday 14:00 UTC. Request ids in the logs below.",
        "bug",
        2,
    ),
];

const AGENT_REPLIES: &[&str] = &[
    "Thanks for reaching out! I have looked into this and {fix}. Let me know if anything else comes up.",
    "Sorry for the trouble: {fix}. You should see the change within a day.",
    "Good question. In short, {fix}. Is there anything else I can help with?",
    "I understand how frustrating this is. Good news: {fix}. I will keep an eye on it personally.",
];
const FIXES: &[&str] = &[
    "the refund is on its way to your card",
    "I have sent a new password reset link",
    "the parcel was delayed at the depot and is moving again",
    "I have updated the address on the order",
    "the duplicate charge has been reversed",
    "our engineers deployed a fix this morning",
    "the invoice is attached to this reply",
    "I have arranged a free exchange with a prepaid label",
];
const CUSTOMER_REPLIES: &[&str] = &[
    "Thank you, that worked!",
    "Still not fixed, unfortunately. Any update?",
    "Great, much appreciated.",
    "Could you confirm when it will arrive?",
    "Perfect, you can close this.",
];
const NOTES: &[&str] = &[
    "Checked the payment provider: duplicate charge confirmed.",
    "Escalating to engineering, see incident INC-231.",
    "VIP customer, handle with care.",
    "Waiting on the warehouse to confirm stock.",
    "Customer called as well; same issue.",
];

/// `text` with its first letter in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn pick<'a>(rng: &mut StdRng, items: &'a [&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// The demo receives mail: an inbox `support@example.com` for the Support team and an SMTP
/// listener on 127.0.0.1:2525 (any free port when that one is taken), unless the config sets
/// up email itself. Replies stay queued in the outbox unless a relay is configured.
pub fn turn_on_email(config: &mut crate::config::Config) {
    if !config.email.inboxes.is_empty() || config.email.smtp.is_some() {
        return;
    }
    let bind = match std::net::TcpListener::bind("127.0.0.1:2525") {
        Ok(_) => "127.0.0.1:2525",
        Err(_) => "127.0.0.1:0",
    };
    config.email.inboxes.push(crate::email_config::InboxConfig {
        address: "support@example.com".into(),
        name: Some(format!("{} Support", config.brand)),
        team: Some("Support".into()),
        acknowledge: true,
        acknowledgement: None,
    });
    config.email.smtp = Some(crate::email_config::SmtpConfig {
        bind: bind.into(),
        max_message_bytes: 25 * 1024 * 1024,
        certificate: None,
        private_key: None,
    });
}

/// Seeds the sample data once; returns the login to print. The data counts as seeded only
/// when the last step has written its marker, so an interrupted first run is not mistaken for
/// a complete demo.
pub async fn ensure_seeded(engine: &Engine) -> anyhow::Result<Login> {
    let login = Login {
        email: ADMIN_EMAIL.into(),
        password: ADMIN_PASSWORD.into(),
    };
    let marker: Option<(i64,)> = Sql::new("SELECT value FROM counters WHERE name = 'demo_seeded'")
        .query_as()
        .fetch_optional(engine.store.pool())
        .await?;
    if marker.is_some() {
        println!("Using the sample data already in the data folder.");
        return Ok(login);
    }
    if !engine
        .agents()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        anyhow::bail!(
            "this database holds data that is not a complete demo (an earlier demo may have been interrupted): \
             remove the data folder or choose another --data, or use `steward serve` for real data"
        );
    }
    println!("Creating sample data (3 teams, 8 agents, 200 customers, 1,000 conversations)…");
    seed(engine)
        .await
        .context("could not create the sample data")?;
    let mut tx = engine.store.write().await?;
    Sql::new("INSERT INTO counters (name, value) VALUES ('demo_seeded', 1)")
        .query()
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(login)
}

async fn seed(engine: &Engine) -> anyhow::Result<()> {
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    let mut rng = StdRng::seed_from_u64(2026);
    let now = steward_store::now_ms();
    let day = 86_400_000i64;

    let mut team_ids = Vec::new();
    for (name, desc) in [
        ("Support", "First line: orders, shipping, presales"),
        ("Billing", "Payments, refunds, invoices"),
        ("Technical", "Bugs, integrations, accounts"),
    ] {
        team_ids.push(
            engine
                .save_team(None, None, name, desc, None)
                .await
                .map_err(e)?
                .id,
        );
    }
    let admin = engine
        .create_user(
            NewUser {
                email: ADMIN_EMAIL,
                name: "Alex Admin",
                role: Role::Admin,
                password: Some(ADMIN_PASSWORD),
                team_ids: &team_ids,
            },
            None,
        )
        .await
        .map_err(e)?;
    let mut agents: Vec<Actor> = Vec::new();
    let people = [
        (
            "sam@example.com",
            "Sam Supervisor",
            Role::Supervisor,
            vec![0, 1, 2],
        ),
        ("rita@example.com", "Rita Ramos", Role::Agent, vec![0]),
        ("ken@example.com", "Ken Ito", Role::Agent, vec![0]),
        ("lena@example.com", "Lena Vogel", Role::Agent, vec![1]),
        ("omar@example.com", "Omar Haddad", Role::Agent, vec![1]),
        ("jo@example.com", "Jo Okafor", Role::Agent, vec![2]),
        ("mei@example.com", "Mei Chen", Role::Agent, vec![2, 0]),
    ];
    for (email, name, role, teams) in people {
        let t: Vec<i64> = teams.iter().map(|i| team_ids[*i]).collect();
        let u = engine
            .create_user(
                NewUser {
                    email,
                    name,
                    role,
                    password: Some(ADMIN_PASSWORD),
                    team_ids: &t,
                },
                None,
            )
            .await
            .map_err(e)?;
        agents.push(
            engine
                .actor(u.id)
                .await
                .map_err(e)?
                .context("agent vanished")?,
        );
    }
    let admin_actor = engine
        .actor(admin.id)
        .await
        .map_err(e)?
        .context("admin vanished")?;

    let mut orgs = Vec::new();
    for i in 0..30 {
        let name = format!(
            "{} {}",
            COMPANIES[i % COMPANIES.len()],
            KINDS[i / COMPANIES.len() % KINDS.len()]
        );
        let domain = format!("{}.example", name.to_lowercase().replace(' ', "-"));
        orgs.push((
            engine
                .create_organization(None, &name, Some(&domain))
                .await
                .map_err(e)?
                .id,
            domain,
        ));
    }
    let mut customers = Vec::new();
    for i in 0..200 {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i * 7 + i / FIRST.len()) % LAST.len()];
        let (org, domain) = &orgs[i % orgs.len()];
        let email = format!(
            "{}.{}{}@{}",
            first.to_lowercase(),
            last.to_lowercase().replace(['í', 'á'], "i"),
            i,
            domain
        );
        let phone = (i % 3 == 0).then(|| format!("+1555{:07}", 1000 + i));
        let c = engine
            .create_customer(
                &admin_actor,
                CustomerRef {
                    id: None,
                    email: Some(email),
                    phone,
                    name: Some(format!("{first} {last}")),
                },
                Some(*org),
            )
            .await
            .map_err(e)?;
        customers.push(c.id);
    }

    let channels = [
        Channel::Email,
        Channel::Email,
        Channel::Email,
        Channel::Chat,
        Channel::Chat,
        Channel::Web,
        Channel::Phone,
        Channel::Api,
    ];
    for n in 0..1000 {
        let (subject, body, tag, team) = TOPICS[rng.random_range(0..TOPICS.len())];
        let product = pick(&mut rng, PRODUCTS);
        let created = now - rng.random_range(0..90 * day) - 3_600_000;
        let channel = channels[rng.random_range(0..channels.len())];
        let team_id = team_ids[team];
        let team_agents: Vec<&Actor> = agents
            .iter()
            .filter(|a| a.team_ids.contains(&team_id) && a.role == Role::Agent)
            .collect();
        let owner = team_agents[rng.random_range(0..team_agents.len())];
        let priority = match rng.random_range(0..20) {
            0 => Priority::Urgent,
            1..=3 => Priority::High,
            4..=6 => Priority::Low,
            _ => Priority::Normal,
        };
        let mut tags = vec![tag.to_string()];
        if rng.random_range(0..8) == 0 {
            tags.push("vip".into());
        }
        let mut cmd = NewConversationCmd::from_customer(
            CustomerRef {
                id: Some(customers[rng.random_range(0..customers.len())]),
                ..Default::default()
            },
            &capitalized(&subject.replace("{p}", product)),
            &body.replace("{p}", product),
            channel,
        );
        cmd.priority = Some(priority);
        cmd.team_id = Some(team_id);
        cmd.tags = tags;
        cmd.at = Some(created);
        let age = now - created;
        // Recent conversations are more often still open; a few are untouched.
        let stage = if age < 2 * day {
            rng.random_range(0..4)
        } else {
            rng.random_range(1..8)
        };
        if stage > 0 {
            cmd.assignee_id = Some(owner.user_id);
        }
        let c = engine
            .create_conversation(Some(&admin_actor), cmd)
            .await
            .map_err(e)?;
        if stage == 0 {
            continue;
        }
        let mut t = created + rng.random_range(5 * 60_000..(age / 3).clamp(5 * 60_000 + 1, day));
        if rng.random_range(0..4) == 0 {
            let mut note = NewMessageCmd::reply(pick(&mut rng, NOTES));
            note.visibility = Visibility::Internal;
            note.at = Some(t);
            engine.add_message(owner, c.id, note).await.map_err(e)?;
            t += 60_000;
        }
        let mut reply = NewMessageCmd::reply(
            &pick(&mut rng, AGENT_REPLIES).replace("{fix}", pick(&mut rng, FIXES)),
        );
        reply.at = Some(t);
        reply.status = Some(if stage <= 2 {
            Status::Pending
        } else {
            Status::Solved
        });
        engine.add_message(owner, c.id, reply).await.map_err(e)?;
        if stage >= 3 && stage % 2 == 1 && t + 3_600_000 < now {
            t += rng.random_range(600_000..3_600_000);
            let mut answer = NewMessageCmd::reply(pick(&mut rng, CUSTOMER_REPLIES));
            answer.author = AuthorKind::Customer;
            answer.at = Some(t);
            let (c2, _) = engine.add_message(owner, c.id, answer).await.map_err(e)?;
            t += rng.random_range(600_000..7_200_000).min((now - t).max(1));
            let mut close = NewMessageCmd::reply(
                "Glad to hear it. I am marking this as solved; just reply if you need anything else.",
            );
            close.status = Some(Status::Solved);
            close.at = Some(t);
            engine.add_message(owner, c2.id, close).await.map_err(e)?;
        }
        if stage >= 6 && age > 7 * day {
            engine
                .update_conversation(
                    owner,
                    c.id,
                    Patch {
                        status: Some(Status::Closed),
                        at: Some((t + 4 * day).min(now)),
                        ..Default::default()
                    },
                )
                .await
                .map_err(e)?;
        }
        if n % 250 == 249 {
            println!("  {} conversations…", n + 1);
        }
    }
    seed_feedback(engine, &admin_actor, &customers).await
}

/// A dozen feedback items, some from known customers, some tagged and moved along.
async fn seed_feedback(engine: &Engine, admin: &Actor, customers: &[i64]) -> anyhow::Result<()> {
    use steward_domain::feedback::{Kind, Source, State};
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    let items = [
        (
            Kind::Suggestion,
            "A dark mode for the order page would be easier on the eyes.",
            &["ui"][..],
            State::Planned,
        ),
        (
            Kind::Suggestion,
            "Please let me pause my subscription for a month instead of cancelling.",
            &["billing"][..],
            State::Reviewed,
        ),
        (
            Kind::Problem,
            "The tracking link in the shipping mail opens an empty page on my phone.",
            &["shipping", "mobile"][..],
            State::New,
        ),
        (
            Kind::Praise,
            "Rita sorted out my refund in ten minutes. Thank you!",
            &[][..],
            State::Reviewed,
        ),
        (
            Kind::Suggestion,
            "Could invoices show the VAT number of my company?",
            &["billing"][..],
            State::New,
        ),
        (
            Kind::Problem,
            "Password reset mails arrive after half an hour.",
            &["accounts"][..],
            State::Planned,
        ),
        (
            Kind::Praise,
            "The setup guide for the grinder was really clear.",
            &[][..],
            State::New,
        ),
        (
            Kind::Other,
            "Do you ship to the Canary Islands?",
            &["shipping"][..],
            State::Done,
        ),
        (
            Kind::Suggestion,
            "An app for tracking my orders would be great.",
            &["mobile"][..],
            State::New,
        ),
        (
            Kind::Problem,
            "The checkout forgets my address every time.",
            &["ui"][..],
            State::New,
        ),
    ];
    for (i, (kind, body, tags, state)) in items.iter().enumerate() {
        let email = if i % 3 == 2 {
            None
        } else {
            let id = customers[(i * 17) % customers.len()];
            engine.customer(id).await.map_err(e)?.0.email
        };
        let item = engine
            .submit_feedback(steward_engine::feedback::NewFeedback {
                customer_id: None,
                name: String::new(),
                email,
                kind: *kind,
                body: body.to_string(),
                source: Source::Web,
            })
            .await
            .map_err(e)?;
        if !tags.is_empty() || *state != State::New {
            engine
                .update_feedback(
                    admin,
                    item.item.id,
                    Some(*state),
                    Some(tags.iter().map(|t| t.to_string()).collect()),
                )
                .await
                .map_err(e)?;
        }
    }
    Ok(())
}
