//! The inbound mail path on arbitrary bytes: parsing, the text derived from HTML, folding
//! quoted history and signatures, and the threading clues read from subjects and addresses.
//! None of it may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_channels::email::{parse, quote, thread};

fuzz_target!(|raw: &[u8]| {
    let mail = parse::parse(raw);
    let _ = quote::split_reply(&mail.text);
    let _ = thread::clean_subject(&mail.subject);
    let _ = thread::subject_number(&mail.subject);
    let _ = mail.thread_ids();
    for m in mail.to.iter().chain(&mail.cc) {
        let _ = thread::reply_token(&m.address, "support@example.com");
        let _ = thread::is_inbox_address(&m.address, "support@example.com");
    }
});
