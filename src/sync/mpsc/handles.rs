//! What the bounded and the unbounded handles have in common, written once:
//! both flavours share the `chan.rs` core, so their senders share `Clone`,
//! `Drop`, `closed`, `same_channel` and weak handles, and their receivers
//! share every method. Two macros stamp those onto each pair of types.

/// The sender methods and the weak handle of one flavour.
macro_rules! sender_common {
    ($sender:ident, $weak:ident) => {
        impl<T> $sender<T> {
            /// Whether the receiver is gone or closed: sends will fail.
            pub fn is_closed(&self) -> bool {
                self.chan.is_rx_closed()
            }

            /// Waits until the receiver is dropped or closed.
            ///
            /// # Cancellation
            /// Dropping the future loses nothing; it leaves the list of waiters.
            pub fn closed(&self) -> $crate::sync::mpsc::Closed<'_, T> {
                $crate::sync::mpsc::Closed::new(&self.chan)
            }

            /// Whether `self` and `other` send into the same channel.
            pub fn same_channel(&self, other: &$sender<T>) -> bool {
                $crate::loom::Arc::ptr_eq(&self.chan, &other.chan)
            }

            #[doc = concat!("A [`", stringify!($weak), "`]: does not keep the channel open.")]
            pub fn downgrade(&self) -> $weak<T> {
                $weak {
                    chan: self.chan.clone(),
                }
            }
        }

        impl<T> Clone for $sender<T> {
            fn clone(&self) -> $sender<T> {
                self.chan.add_sender();
                $sender {
                    chan: self.chan.clone(),
                }
            }
        }

        impl<T> Drop for $sender<T> {
            fn drop(&mut self) {
                self.chan.drop_sender();
            }
        }

        #[doc = concat!("A [`", stringify!($sender), "`] that does not count: once every \
            strong one is gone the receiver sees the end of the channel and \
            [`upgrade`](Self::upgrade) fails.")]
        pub struct $weak<T> {
            chan: $crate::loom::Arc<super::chan::Chan<T>>,
        }

        impl<T> $weak<T> {
            #[doc = concat!("A [`", stringify!($sender), "`] again, or `None` if every one was dropped.")]
            pub fn upgrade(&self) -> Option<$sender<T>> {
                self.chan.upgrade().then(|| $sender {
                    chan: self.chan.clone(),
                })
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> $weak<T> {
                $weak {
                    chan: self.chan.clone(),
                }
            }
        }

        impl<T> ::std::fmt::Debug for $weak<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($weak)).finish_non_exhaustive()
            }
        }
    };
}

/// Every receiver method, for one flavour's receiver.
macro_rules! receiver_common {
    ($receiver:ident) => {
        impl<T> $receiver<T> {
            /// Receives the next message, waiting if none is queued.
            ///
            /// Returns `None` once every sender is gone (or [`close`](Self::close)
            /// was called and every permit is used or dropped) and the queue is
            /// empty.
            ///
            /// # Cancellation
            /// Dropping the future loses nothing: a message is only removed from
            /// the queue in the poll that returns it.
            pub fn recv(&mut self) -> $crate::sync::mpsc::Recv<'_, T> {
                $crate::sync::mpsc::Recv { chan: &self.chan }
            }

            /// Receives up to `limit` messages into `buffer` (appended, in
            /// order), waiting while none is queued. Returns how many were added:
            /// `0` only when `limit` is 0 or the channel is finished (as `recv`
            /// → `None`).
            ///
            /// # Cancellation
            /// Dropping the future loses nothing: messages move into `buffer` only
            /// in the poll that returns.
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                if limit == 0 {
                    return 0;
                }
                let chan = &self.chan;
                ::std::future::poll_fn(|cx| chan.poll_recv_many(buffer, limit, Some(cx.waker())))
                    .await
            }

            /// Receives without waiting.
            pub fn try_recv(&mut self) -> Result<T, $crate::sync::mpsc::TryRecvError> {
                use ::std::task::Poll;
                match self.chan.poll_recv(None) {
                    Poll::Ready(Some(v)) => Ok(v),
                    Poll::Ready(None) => Err($crate::sync::mpsc::TryRecvError::Disconnected),
                    Poll::Pending => Err($crate::sync::mpsc::TryRecvError::Empty),
                }
            }

            /// Receives from a plain OS thread, blocking it while the channel is
            /// empty.
            ///
            /// # Panics
            /// On a thread running a ramen runtime: blocking it would stop the
            /// loop the senders may need. Use `recv().await` there.
            pub fn blocking_recv(&mut self) -> Option<T> {
                $crate::sync::block_on_thread(
                    concat!(stringify!($receiver), "::blocking_recv"),
                    self.recv(),
                )
            }

            /// Polls for the next message (the building block of `recv`).
            pub fn poll_recv(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Option<T>> {
                // cooperative budget (coop.rs)
                $crate::coop::with_budget(cx, |cx| self.chan.poll_recv(Some(cx.waker())))
            }

            /// Stops accepting messages: senders (waiting or not) fail from now
            /// on, except outstanding permits, which may still send; messages
            /// already queued can still be received.
            pub fn close(&mut self) {
                self.chan.close();
            }

            /// Whether the channel is closed: by [`close`](Self::close), or
            /// because every sender is gone. Queued messages may remain.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed_for_rx()
            }

            /// How many messages are queued.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Whether no message is queued.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl<T> Drop for $receiver<T> {
            fn drop(&mut self) {
                self.chan.drop_rx();
            }
        }
    };
}
