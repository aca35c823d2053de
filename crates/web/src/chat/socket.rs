//! The visitor's WebSocket (`GET /chat/ws`), speaking the protocol of docs/chat-protocol.md:
//! a `hello` first, then messages acknowledged by the browser's own sequence numbers, history
//! resumed after the last sequence number the browser showed, typing, read marks, queue
//! status, heartbeats. Each connection is one task; it never buffers for a slow browser (the
//! hub only raises flags) and gives up on one that does not take a frame within 10 s.
//! Malformed, oversized or too frequent frames get an error frame; too many of them close the
//! connection with a reason. Nothing a visitor sends reaches anyone else's connection.

use super::hub::{self, Slot};
use crate::AppState;
use crate::error::Problem;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use std::sync::Arc;
use std::time::{Duration, Instant};
use steward_domain::chat::{self as rules, ClientFrame, ServerFrame};
use steward_engine::chat::VisitorSession;
use steward_store::now_ms;

/// Close codes (RFC 6455 §7.4.1).
const POLICY: u16 = 1008;
const GOING_AWAY: u16 = 1001;
const TOO_BIG: u16 = 1009;
/// How long the browser has to say hello, and to take a frame.
const PATIENCE: Duration = Duration::from_secs(10);
/// How often a waiting visitor's place in the queue is looked at again.
const QUEUE_EVERY: Duration = Duration::from_secs(5);

pub async fn socket(State(s): State<AppState>, ws: WebSocketUpgrade) -> Response {
    s.chat_hub.start(&s);
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(4 * rules::MAX_FRAME)
        .max_frame_size(4 * rules::MAX_FRAME)
        .on_upgrade(move |socket| async move {
            s.metrics.chat_connected(1);
            Connection::new(s.clone(), socket).run().await;
            s.metrics.chat_connected(-1);
        })
}

struct Connection {
    s: AppState,
    ws: WebSocket,
    slot: Arc<Slot>,
    session: Option<VisitorSession>,
    chat: Option<i64>,
    /// A chat the last frame started, to follow once the frame is handled.
    follow_next: Option<i64>,
    /// The highest sequence number sent to the browser.
    last_sent: i64,
    last_status: Option<ServerFrame>,
    last_typing: Option<(bool, Instant)>,
    rate: rules::RateLimit,
    strikes: u32,
}

/// Why a connection ended early: a close code and reason, or the browser is gone.
enum End {
    Close(u16, &'static str),
    Gone,
}

/// Sends one frame; a browser that does not take it within `PATIENCE` is closed.
async fn send_frame(ws: &mut WebSocket, f: &ServerFrame) -> Result<(), End> {
    let text = serde_json::to_string(f).map_err(|_| End::Gone)?;
    match tokio::time::timeout(PATIENCE, ws.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(End::Close(POLICY, "too slow to take frames")),
    }
}

fn refused(e: steward_engine::EngineError, cseq: Option<i64>) -> ServerFrame {
    let p = Problem::from(e);
    let message = match p.field {
        Some(f) if !p.detail.starts_with(&f) => format!("{f} {}", p.detail),
        _ => p.detail,
    };
    ServerFrame::error(p.slug, message, cseq)
}

impl Connection {
    fn new(s: AppState, ws: WebSocket) -> Connection {
        Connection {
            s,
            ws,
            slot: Arc::new(Slot::default()),
            session: None,
            chat: None,
            follow_next: None,
            last_sent: 0,
            last_status: None,
            last_typing: None,
            rate: rules::RateLimit::new(now_ms()),
            strikes: 0,
        }
    }

    async fn run(mut self) {
        let end = match Box::pin(self.hello()).await {
            Ok(()) => self.serve().await,
            Err(e) => Err(e),
        };
        if let Err(End::Close(code, reason)) = end {
            let frame = CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            };
            let _ = tokio::time::timeout(PATIENCE, self.ws.send(Message::Close(Some(frame)))).await;
            // The closing handshake: read until the browser answers the close, so it gets
            // the reason rather than a reset.
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(m)) = self.ws.recv().await {
                    if matches!(m, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }

    async fn send(&mut self, f: &ServerFrame) -> Result<(), End> {
        send_frame(&mut self.ws, f).await
    }

    /// The first frame must be a `hello` naming an enabled chat inbox.
    async fn hello(&mut self) -> Result<(), End> {
        let first = match tokio::time::timeout(PATIENCE, self.ws.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => return Err(End::Close(POLICY, "expected a hello frame")),
            Ok(Some(Err(_))) | Ok(None) => return Err(End::Gone),
            Err(_) => return Err(End::Close(POLICY, "no hello frame")),
        };
        let Ok(ClientFrame::Hello {
            inbox,
            visitor,
            last_seq,
        }) = serde_json::from_str::<ClientFrame>(&first)
        else {
            let _ = self
                .send(&ServerFrame::error(
                    "bad_frame",
                    "the first frame must be {\"type\":\"hello\",\"inbox\":…}",
                    None,
                ))
                .await;
            return Err(End::Close(POLICY, "expected a hello frame"));
        };
        let e = &self.s.engine;
        let (row, info) = match e.chat_inbox_for_widget(&inbox).await {
            Ok(found) => found,
            Err(err) => {
                let _ = self.send(&refused(err, None)).await;
                return Err(End::Close(POLICY, "unknown chat inbox"));
            }
        };
        let welcome = async {
            let session = e.chat_session(row, visitor.as_deref()).await?;
            let chat = e.chat_current(&session).await?;
            let known = e.chat_known(&session).await?;
            let after = (last_seq > 0).then_some(last_seq);
            let messages = e.chat_messages(&session, after).await?;
            Ok::<_, steward_engine::EngineError>((session, chat, known, messages))
        };
        let (session, chat, known, messages) = match welcome.await {
            Ok(w) => w,
            Err(err) => {
                let _ = self.send(&refused(err, None)).await;
                return Err(End::Close(GOING_AWAY, "could not load the chat; try again"));
            }
        };
        self.last_sent = messages.last().map_or(last_seq.max(0), |m| m.seq);
        let visitor = session.token.clone();
        self.session = Some(session);
        self.send(&ServerFrame::Welcome {
            visitor,
            inbox: info,
            chat,
            known,
            messages,
        })
        .await?;
        if let Some(c) = chat {
            self.follow(c).await?;
        }
        Ok(())
    }

    /// From now on this connection hears of chat `c`; sends what it missed and its state.
    async fn follow(&mut self, c: i64) -> Result<(), End> {
        self.chat = Some(c);
        self.s.chat_hub.hub.watch(c, &self.slot);
        self.messages().await?;
        self.status().await
    }

    async fn serve(&mut self) -> Result<(), End> {
        let beat = Duration::from_secs(rules::HEARTBEAT_SECONDS);
        let mut heartbeat = tokio::time::interval(beat);
        heartbeat.tick().await;
        let mut queue = tokio::time::interval(QUEUE_EVERY);
        let mut heard = Instant::now();
        let stopping = self.s.stopping.clone();
        loop {
            let waiting = matches!(&self.last_status, Some(ServerFrame::Status { state, .. }) if state == "waiting");
            tokio::select! {
                got = self.ws.recv() => {
                    heard = Instant::now();
                    match got {
                        // Each path that reads or writes is boxed: a waiting connection's
                        // task holds only the loop's own state (10,000 of them wait at once;
                        // inline, the largest path made each task 22 KB).
                        Some(Ok(Message::Text(t))) => Box::pin(self.frame(&t)).await?,
                        Some(Ok(Message::Binary(_))) => self.strike("bad_frame", "frames are JSON text").await?,
                        Some(Ok(Message::Close(_))) | None => return Err(End::Gone),
                        Some(Ok(_)) => {} // ping and pong: answered by the library
                        Some(Err(e)) => {
                            let big = e.to_string().contains("too long") || e.to_string().contains("size");
                            return Err(if big { End::Close(TOO_BIG, "frame too large") } else { End::Gone });
                        }
                    }
                }
                _ = self.slot.wake.notified() => Box::pin(self.flush()).await?,
                _ = heartbeat.tick() => {
                    if heard.elapsed() > beat * 3 {
                        return Err(End::Close(GOING_AWAY, "no heartbeat"));
                    }
                    self.ws.send(Message::Ping(Default::default())).await.map_err(|_| End::Gone)?;
                }
                _ = queue.tick(), if waiting => Box::pin(self.status()).await?,
                _ = stopping.cancelled() => return Err(End::Close(GOING_AWAY, "server stopping")),
            }
        }
    }

    /// Counts a refused frame; too many close the connection.
    async fn strike(&mut self, code: &str, message: &str) -> Result<(), End> {
        self.strikes += 1;
        if self.strikes > rules::MAX_STRIKES {
            return Err(End::Close(POLICY, "too many refused frames"));
        }
        self.send(&ServerFrame::error(code, message, None)).await
    }

    async fn frame(&mut self, text: &str) -> Result<(), End> {
        if !self.rate.take(now_ms()) {
            return self
                .strike("rate_limited", "too many frames; slow down")
                .await;
        }
        if text.len() > rules::MAX_FRAME {
            return self
                .strike(
                    "too_large",
                    &format!("a frame may be at most {} bytes", rules::MAX_FRAME),
                )
                .await;
        }
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => return self.strike("bad_frame", &e.to_string()).await,
        };
        let Some(mut session) = self.session.take() else {
            return Err(End::Gone);
        };
        let done = self.handle(&mut session, frame).await;
        self.session = Some(session);
        done?;
        match self.follow_next.take() {
            Some(c) => self.follow(c).await,
            None => Ok(()),
        }
    }

    async fn handle(
        &mut self,
        session: &mut VisitorSession,
        frame: ClientFrame,
    ) -> Result<(), End> {
        let e = self.s.engine.clone();
        match frame {
            ClientFrame::Hello { .. } => self.strike("bad_frame", "already said hello").await,
            ClientFrame::Ping => self.send(&ServerFrame::Pong).await,
            ClientFrame::Message {
                cseq,
                text,
                profile,
            } => match e
                .chat_send(session, cseq, &text, profile.as_ref(), Vec::new())
                .await
            {
                Ok(sent) => {
                    self.send(&ServerFrame::Ack {
                        cseq,
                        seq: sent.seq,
                        chat: sent.chat,
                    })
                    .await?;
                    if self.chat != Some(sent.chat) {
                        self.follow_next = Some(sent.chat);
                        return Ok(());
                    }
                    // Everything before it was sent: the message goes out as it was written,
                    // in order, with no read (its event then finds nothing new).
                    match sent.echo {
                        Some(echo)
                            if echo.previous <= self.last_sent
                                && echo.frame.seq > self.last_sent =>
                        {
                            self.last_sent = echo.frame.seq;
                            self.send(&ServerFrame::Message(echo.frame)).await
                        }
                        _ => Ok(()),
                    }
                }
                Err(err) => self.send(&refused(err, Some(cseq))).await,
            },
            ClientFrame::Typing { on } => {
                let Some(c) = self.chat else { return Ok(()) };
                // Once per change, or every 2 s while typing: enough for "is typing".
                let due = match self.last_typing {
                    Some((was, at)) => was != on || at.elapsed() > Duration::from_secs(2),
                    None => true,
                };
                if due {
                    self.last_typing = Some((on, Instant::now()));
                    if let Err(err) = e.chat_visitor_typing(session, c, on).await {
                        return self.send(&refused(err, None)).await;
                    }
                }
                Ok(())
            }
            ClientFrame::Read { seq } => {
                let Some(c) = self.chat else { return Ok(()) };
                match e.chat_visitor_read(session, c, seq).await {
                    Ok(()) => Ok(()),
                    Err(err) => self.send(&refused(err, None)).await,
                }
            }
            ClientFrame::Handoff => {
                let Some(c) = self.chat else { return Ok(()) };
                match e.chat_handoff(session, c).await {
                    Ok(()) => self.status().await,
                    Err(err) => self.send(&refused(err, None)).await,
                }
            }
            ClientFrame::Rate { rating, comment } => {
                let Some(c) = self.chat else { return Ok(()) };
                match e.chat_rate(session, c, rating, comment.as_deref()).await {
                    Ok(frame) => self.send(&frame).await,
                    Err(err) => self.send(&refused(err, None)).await,
                }
            }
            ClientFrame::End => {
                let (Some(c), Some(v)) = (self.chat, session.visitor.as_ref().map(|v| v.id)) else {
                    return Ok(());
                };
                match e.end_chat(steward_engine::chat::Ender::Visitor(v), c).await {
                    Ok(_) => self.status().await,
                    Err(err) => self.send(&refused(err, None)).await,
                }
            }
        }
    }

    /// Sends what the hub says changed.
    async fn flush(&mut self) -> Result<(), End> {
        let flags = self.slot.take();
        let named = flags & hub::NAMED != 0 && self.slot.newest() > self.last_sent;
        if flags & hub::MESSAGES != 0 || named {
            self.messages().await?;
        }
        if flags & hub::STATUS != 0 {
            self.status().await?;
        }
        if flags & hub::TYPING != 0
            && let Some((on, name)) = self.slot.typing()
        {
            self.send(&ServerFrame::Typing { on, name }).await?;
        }
        if flags & hub::READ != 0 {
            let seq = self.slot.read();
            self.send(&ServerFrame::Read { seq }).await?;
        }
        Ok(())
    }

    /// Sends the messages after the last one sent, in order, each once.
    async fn messages(&mut self) -> Result<(), End> {
        let Some(session) = self.session.as_ref() else {
            return Ok(());
        };
        loop {
            let batch = match self
                .s
                .engine
                .chat_messages(session, Some(self.last_sent))
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "chat: messages not read");
                    return Ok(());
                }
            };
            let full = batch.len() as i64 >= rules::HISTORY;
            for m in batch {
                self.last_sent = self.last_sent.max(m.seq);
                send_frame(&mut self.ws, &ServerFrame::Message(m)).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Sends the chat's state when it changed.
    async fn status(&mut self) -> Result<(), End> {
        let Some(c) = self.chat else { return Ok(()) };
        let frame = match self.s.engine.chat_status(c).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "chat: status not read");
                return Ok(());
            }
        };
        if self.last_status.as_ref() != Some(&frame) {
            let ended = matches!(&frame, ServerFrame::Status { state, .. } if state == "ended");
            self.send(&frame).await?;
            self.last_status = Some(frame);
            // An ended chat may ask for a rating.
            if ended {
                match self.s.engine.chat_survey(c).await {
                    Ok(Some(survey)) => self.send(&survey).await?,
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "chat: survey not read"),
                }
            }
        }
        Ok(())
    }
}
