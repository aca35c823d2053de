//! The results: a table on the terminal, JSON for keeping, and the change against a baseline.

use crate::load::Stats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub stats: Stats,
    pub mode: String,
    /// Server private memory (`RssAnon`) at the end of the scenario.
    pub server_rss_mb: f64,
    /// Database pages the server has memory-mapped and touched (`RssFile`): page cache.
    #[serde(default)]
    pub server_mapped_mb: f64,
    /// Server CPU during the scenario, in % of one core.
    pub server_cpu_pct: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub backend: String,
    pub conversations: i64,
    pub messages: i64,
    pub ready_ms: f64,
    pub idle_rss_mb: f64,
    #[serde(default)]
    pub idle_mapped_mb: f64,
    pub http_ceiling: Option<Stats>,
    pub sqlite_tx_per_s: Option<f64>,
    pub scenarios: BTreeMap<String, ScenarioResult>,
}

impl Report {
    pub fn print(&self) {
        println!(
            "\nSteward on {} with {} conversations and {} messages",
            self.backend, self.conversations, self.messages
        );
        println!(
            "ready to serve: {:.0} ms   idle RSS: {:.1} MB private + {:.1} MB mapped files",
            self.ready_ms, self.idle_rss_mb, self.idle_mapped_mb
        );
        if let Some(h) = &self.http_ceiling {
            println!(
                "ceiling, empty HTTP handler: {:.0} req/s (p99 {:.2} ms)",
                h.throughput, h.p99_ms
            );
        }
        if let Some(s) = self.sqlite_tx_per_s {
            println!("ceiling, durable SQLite transactions on this disk: {s:.0} /s");
        }
        println!(
            "\n{:<8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>8}  errors",
            "scenario",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "RSS MB",
            "mapped MB",
            "CPU %",
            "of HTTP"
        );
        for (name, r) in &self.scenarios {
            let frac = self.http_ceiling.as_ref().map_or(String::from("-"), |h| {
                format!("{:.1}%", 100.0 * r.stats.throughput / h.throughput.max(1.0))
            });
            let errors: Vec<String> = r
                .stats
                .errors
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            println!(
                "{:<8} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8.1} {:>9.1} {:>8.0} {:>8}  {}",
                name,
                r.stats.throughput,
                r.stats.p50_ms,
                r.stats.p90_ms,
                r.stats.p99_ms,
                r.stats.max_ms,
                r.server_rss_mb,
                r.server_mapped_mb,
                r.server_cpu_pct,
                frac,
                if errors.is_empty() {
                    "none".into()
                } else {
                    errors.join(", ")
                }
            );
        }
    }

    /// Prints the change per scenario against an earlier report.
    pub fn compare(&self, base: &Report) {
        println!("\nchange against the baseline:");
        for (name, r) in &self.scenarios {
            match base.scenarios.get(name) {
                Some(b) => {
                    let pct = |new: f64, old: f64| {
                        if old > 0.0 {
                            100.0 * (new - old) / old
                        } else {
                            0.0
                        }
                    };
                    println!(
                        "{:<8} throughput {:>+7.1}%  p99 {:>+7.1}%  ({:.0} → {:.0} req/s, {:.2} → {:.2} ms)",
                        name,
                        pct(r.stats.throughput, b.stats.throughput),
                        pct(r.stats.p99_ms, b.stats.p99_ms),
                        b.stats.throughput,
                        r.stats.throughput,
                        b.stats.p99_ms,
                        r.stats.p99_ms
                    );
                }
                None => println!("{name:<8} not in the baseline"),
            }
        }
        println!(
            "ready {:.0} → {:.0} ms, idle RSS {:.1} → {:.1} MB",
            base.ready_ms, self.ready_ms, base.idle_rss_mb, self.idle_rss_mb
        );
    }
}
