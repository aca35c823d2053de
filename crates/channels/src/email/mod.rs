//! Email as a channel: parsing inbound mail, the clues that thread it, reply stripping, the
//! inbound SMTP listener, reading IMAP mailboxes, and building and relaying outbound mail. Nothing here touches the
//! database: intake and the outbox in the engine decide what a message means and store it.

pub mod auth;
pub mod html_text;
pub mod imap;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod smtp_server;
pub mod thread;
