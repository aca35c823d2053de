//! A text generator with a real vocabulary, so full-text search over seeded data behaves as it
//! would over real mail: common words are common, product words are rarer.

use rand::Rng;

pub const COMMON: &[&str] = &[
    "the", "order", "please", "help", "account", "thanks", "payment", "refund", "delivery", "package", "email", "password",
    "invoice", "problem", "issue", "since", "yesterday", "today", "still", "again", "working", "broken", "update", "question",
    "support", "customer", "service", "waiting", "tracking", "number", "address", "shipping", "charged", "twice", "card",
    "subscription", "cancel", "upgrade", "plan", "price", "discount", "coupon", "warranty", "replacement", "damaged", "missing",
    "arrived", "late", "return", "exchange", "size", "color", "login", "error", "message", "screen", "app", "website", "page",
    "button", "click", "download", "install", "device", "phone", "laptop", "battery", "charger", "cable", "software", "version",
    "settings", "profile", "notification", "confirm", "receipt", "bank", "transfer", "balance", "credit", "debit", "monthly",
    "annual", "trial", "free", "premium", "business", "team", "seats", "license", "key", "activation", "reset", "link", "expired",
    "contact", "manager", "urgent", "soon", "possible", "week", "month", "day", "hour", "minute", "morning", "evening", "weekend",
];

pub const RARE: &[&str] = &[
    "thermostat", "espresso", "earbuds", "descaling", "firmware", "bluetooth", "webhook", "integration", "latency", "timeout",
    "certificate", "redirect", "checkout", "wishlist", "voucher", "loyalty", "chargeback", "backorder", "preorder", "dropship",
    "calibration", "gasket", "nozzle", "hinge", "adapter", "router", "modem", "firewall", "dashboard", "analytics", "export",
    "import", "spreadsheet", "migration", "sandbox", "token", "scope", "quota", "throttle", "invoice-pdf", "vat", "iban",
];

/// `n` words of text, mostly common, about one in eight rare.
pub fn sentence<R: Rng>(rng: &mut R, n: usize) -> String {
    let mut out = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        let w = if rng.random_range(0..8) == 0 { RARE[rng.random_range(0..RARE.len())] } else { COMMON[rng.random_range(0..COMMON.len())] };
        out.push_str(w);
    }
    out
}

/// A word likely to match something, for search scenarios.
pub fn search_word<R: Rng>(rng: &mut R) -> &'static str {
    RARE[rng.random_range(0..RARE.len())]
}
