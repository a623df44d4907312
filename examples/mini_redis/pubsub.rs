//! PUBLISH / SUBSCRIBE: fan-out of one message to many connections.
//!
//! Each subscribed connection has a bounded queue (a `ramen::sync::mpsc`
//! channel of [`SUB_QUEUE`] messages); the hub keeps its sending half.
//! `PUBLISH` encodes the message frame once (an `Rc<[u8]>` shared by every
//! queue) and `try_send`s it to each subscriber: it never waits, so one slow
//! subscriber cannot stall the publisher or the server.
//!
//! # A full queue disconnects the subscriber
//! If a subscriber's queue is full (it reads its socket slower than messages
//! arrive), the hub drops it: it is removed from every channel and its
//! sending half is dropped. Its connection task then writes what is still
//! queued (within the write timeout: a subscriber that does not read at all
//! is cut off when it expires) and closes the connection; a command it sends
//! meanwhile (a new `SUBSCRIBE`, say) gets an error and closes it at once,
//! so it never silently gets a fresh, empty queue. This is what redis does
//! (`client-output-buffer-limit pubsub`): the alternatives are unbounded
//! memory (buffer forever) or a stalled server (wait for the slowest
//! reader), and both are worse. Dropping messages silently would also be
//! possible, but a subscriber could never tell that it missed some; a closed
//! connection it can see, and resubscribe.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use ramen::sync::mpsc::{self, Receiver, Sender, TrySendError};

use super::resp;

/// Messages a subscriber may have queued before it is disconnected.
pub const SUB_QUEUE: usize = 1024;

/// An encoded `message` frame, shared by every subscriber's queue.
pub type Message = Rc<[u8]>;

struct Client {
    tx: Sender<Message>,
    channels: HashSet<Vec<u8>>,
}

/// Who listens to what.
#[derive(Default)]
pub struct Hub {
    channels: HashMap<Vec<u8>, HashSet<u64>>,
    clients: HashMap<u64, Client>,
    /// Subscribers disconnected because their queue was full.
    pub kicked: u64,
    /// Connections kicked but not closed yet: any further command they send
    /// is refused and closes them (a fresh `SUBSCRIBE` must not silently
    /// replace the queue they lost).
    kicked_ids: HashSet<u64>,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Hub {
        Hub::default()
    }

    /// Subscribes connection `id` to `channel`; the first subscription
    /// returns the receiving end of its new queue. Also returns the number
    /// of channels `id` is now subscribed to.
    pub fn subscribe(&mut self, id: u64, channel: &[u8]) -> (Option<Receiver<Message>>, usize) {
        let mut rx = None;
        let client = self.clients.entry(id).or_insert_with(|| {
            let (tx, r) = mpsc::channel(SUB_QUEUE);
            rx = Some(r);
            Client {
                tx,
                channels: HashSet::new(),
            }
        });
        if client.channels.insert(channel.to_vec()) {
            self.channels
                .entry(channel.to_vec())
                .or_default()
                .insert(id);
        }
        (rx, client.channels.len())
    }

    /// Unsubscribes `id` from `channel`; returns how many channels remain.
    /// At zero the queue is dropped: the connection leaves pub/sub mode.
    pub fn unsubscribe(&mut self, id: u64, channel: &[u8]) -> usize {
        let Some(client) = self.clients.get_mut(&id) else {
            return 0;
        };
        if client.channels.remove(channel) {
            if let Some(set) = self.channels.get_mut(channel) {
                set.remove(&id);
                if set.is_empty() {
                    self.channels.remove(channel);
                }
            }
        }
        let left = client.channels.len();
        if left == 0 {
            self.clients.remove(&id);
        }
        left
    }

    /// The channels `id` listens to (for `UNSUBSCRIBE` without arguments).
    pub fn channels_of(&self, id: u64) -> Vec<Vec<u8>> {
        self.clients
            .get(&id)
            .map(|c| c.channels.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Connections subscribed to at least one channel (`INFO clients`).
    pub fn subscribers(&self) -> usize {
        self.clients.len()
    }

    /// Whether `id` was disconnected for being too slow.
    pub fn was_kicked(&self, id: u64) -> bool {
        self.kicked_ids.contains(&id)
    }

    /// Its connection closed: forget everything about `id`.
    pub fn connection_closed(&mut self, id: u64) {
        self.remove_client(id);
        self.kicked_ids.remove(&id);
    }

    /// Removes `id` from every channel and drops its queue's sending half.
    pub fn remove_client(&mut self, id: u64) {
        for ch in self.channels_of(id) {
            self.unsubscribe(id, &ch);
        }
        self.clients.remove(&id);
    }

    /// Queues `payload` for every subscriber of `channel`; returns how many
    /// received it. Subscribers whose queue is full are disconnected.
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        let Some(ids) = self.channels.get(channel) else {
            return 0;
        };
        let mut frame = Vec::with_capacity(channel.len() + payload.len() + 32);
        resp::array_len(&mut frame, 3);
        resp::bulk(&mut frame, Some(b"message"));
        resp::bulk(&mut frame, Some(channel));
        resp::bulk(&mut frame, Some(payload));
        let frame: Message = frame.into();
        let mut sent = 0;
        let mut too_slow = Vec::new();
        for id in ids {
            match self.clients[id].tx.try_send(frame.clone()) {
                Ok(()) => sent += 1,
                Err(TrySendError::Full(_)) => too_slow.push(*id),
                // The connection is closing; it removes itself.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        for id in too_slow {
            self.kicked += 1;
            self.kicked_ids.insert(id);
            self.remove_client(id);
        }
        sent
    }
}

/// `*3 $kind $channel :count`, the reply to each (un)subscribed channel.
pub fn confirm(out: &mut Vec<u8>, kind: &str, channel: Option<&[u8]>, count: usize) {
    resp::array_len(out, 3);
    resp::bulk(out, Some(kind.as_bytes()));
    resp::bulk(out, channel);
    resp::int(out, count as i64);
}
