//! The help-center scenario: a fresh database with N published public articles (random text
//! from the word list, written straight through the store in batches), then Steward serving
//! it while the generator searches the public help center for random words and fetches random
//! article pages.

use crate::load::{self, Mode, Stats};
use crate::server::{self, Server};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use steward_store::kb::{self, ArticleFields};

pub struct HelpResult {
    pub articles: u64,
    pub seed_s: f64,
    pub search: Stats,
    pub page: Stats,
    pub rss_mb: f64,
}

/// Seeds `articles` articles into a fresh database in `data`; returns their addresses.
async fn seed(data: &Path, articles: u64) -> anyhow::Result<Vec<String>> {
    let store = steward_store::Store::open(&steward_store::sqlite_url(data), data).await?;
    store.migrate().await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut urls = Vec::new();
    let mut done = 0;
    while done < articles {
        let mut tx = store.write().await?;
        for _ in 0..500.min(articles - done) {
            let title = crate::words::sentence(&mut rng, 6);
            let body = (0..6)
                .map(|_| crate::words::sentence(&mut rng, 25))
                .collect::<Vec<_>>()
                .join("\n\n");
            let html = steward_engine::kb::render(&body);
            let slug = steward_domain::kb::slug(&title);
            let id = kb::insert_article(
                &mut tx,
                &ArticleFields {
                    category_id: None,
                    slug: &slug,
                    title: &title,
                    body_md: &body,
                    body_html: &html,
                    state: "published",
                    visibility: "public",
                    locale: "en",
                    tags: "[]",
                    translation_of: None,
                },
                None,
                steward_store::now_ms(),
            )
            .await?;
            kb::reindex(&mut tx, id, &format!("{title}\n{body}")).await?;
            urls.push(format!("/help/articles/{id}-{slug}"));
            done += 1;
        }
        tx.commit().await?;
    }
    store.close().await;
    Ok(urls)
}

pub async fn run(
    bin: &Path,
    data: &Path,
    articles: u64,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<HelpResult> {
    let t0 = std::time::Instant::now();
    let urls = Arc::new(seed(data, articles).await?);
    let seed_s = t0.elapsed().as_secs_f64();
    let server = Server::start(bin, data, None, server::free_port()?, "").await?;
    let base = Arc::new(server.base.clone());
    let http = reqwest::Client::new();
    let mode = Mode::Closed { concurrency };
    let (b, h) = (base.clone(), http.clone());
    let search = load::run(mode, duration, move |i| {
        let (b, h) = (b.clone(), h.clone());
        async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(i);
            let q = crate::words::search_word(&mut rng);
            load::check(h.get(format!("{b}/help/search?q={q}")).send().await, 200).await
        }
    })
    .await;
    let (b, h) = (base.clone(), http.clone());
    let page = load::run(mode, duration, move |i| {
        let (b, h, urls) = (b.clone(), h.clone(), urls.clone());
        async move {
            let n = rand::rngs::StdRng::seed_from_u64(i).random_range(0..urls.len());
            load::check(h.get(format!("{b}{}", urls[n])).send().await, 200).await
        }
    })
    .await;
    let rss_mb = server::rss_mb(server.pid()).0;
    Ok(HelpResult {
        articles,
        seed_s,
        search,
        page,
        rss_mb,
    })
}
