//! Polling a source only once it has woken.
//!
//! A session's loop `select!`s on four sources (its end, answers from rooms, the client's
//! frames, room events), and every wake-up polls each of them until one is ready. A watcher
//! is woken by room events, yet each time it polled the socket too: tungstenite zeroes its
//! whole read buffer before every read attempt, and tokio locks the socket's waiter list to
//! leave the waker there again, for a read that cannot succeed. [`Woken`] hands the source
//! a waker of its own and polls it only after that waker was woken (or after it was last
//! ready, since a ready source may hold more): a source that answered `Pending` has
//! promised to wake its waker when it can go on, so until then polling it is wasted.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use futures_util::{Sink, Stream};

/// A source and the waker it is polled with.
pub struct Woken<T> {
    inner: T,
    signal: Arc<Signal>,
    waker: Waker,
}

/// Whether the source has woken since it was last found pending, and the task to wake.
struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<T> Woken<T> {
    pub fn new(inner: T) -> Woken<T> {
        let signal = Arc::new(Signal {
            // Polled the first time: nothing is known of it yet.
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Woken {
            inner,
            waker: Waker::from(signal.clone()),
            signal,
        }
    }

    /// Polls the source with `poll` if it has woken since it was last pending; the task in
    /// `cx` is woken when it next wakes.
    pub fn poll_with<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut T, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        self.signal.task.register(cx.waker());
        if !self.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let polled = poll(&mut self.inner, &mut Context::from_waker(&self.waker));
        if polled.is_ready() {
            // It may hold more (a second frame read with the first): ask it again next time.
            self.signal.woken.store(true, Ordering::Release);
        }
        polled
    }

    /// The source, for what leaves it waiting as it was: taking what is ready
    /// (`try_recv`), writing.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The source, for a change that may make it ready with no wake (a stream added to a
    /// map of streams): it is polled next time.
    pub fn changed(&mut self) -> &mut T {
        self.signal.woken.store(true, Ordering::Release);
        &mut self.inner
    }
}

impl<T: Stream + Unpin> Stream for Woken<T> {
    type Item = T::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T::Item>> {
        self.get_mut()
            .poll_with(cx, |inner, cx| Pin::new(inner).poll_next(cx))
    }
}

impl<T: Future + Unpin> Future for Woken<T> {
    type Output = T::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        self.get_mut()
            .poll_with(cx, |inner, cx| Pin::new(inner).poll(cx))
    }
}

/// Writes go straight to the source, with the caller's waker: only reading is selective.
impl<T: Sink<Item> + Unpin, Item> Sink<Item> for Woken<T> {
    type Error = T::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.get_mut().inner).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Item) -> Result<(), T::Error> {
        Pin::new(&mut self.get_mut().inner).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::AtomicUsize;

    use futures_util::StreamExt;
    use futures_util::task::noop_waker_ref;
    use tokio::sync::mpsc;

    /// A stream that counts how often it is polled.
    struct Counted {
        receiver: mpsc::UnboundedReceiver<u32>,
        polls: Arc<AtomicUsize>,
    }

    impl Stream for Counted {
        type Item = u32;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            self.receiver.poll_recv(cx)
        }
    }

    fn counted() -> (mpsc::UnboundedSender<u32>, Woken<Counted>, Arc<AtomicUsize>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let polls = Arc::new(AtomicUsize::new(0));
        let stream = Woken::new(Counted {
            receiver,
            polls: polls.clone(),
        });
        (sender, stream, polls)
    }

    #[test]
    fn a_pending_source_is_not_polled_again_until_it_wakes() {
        let (sender, mut stream, polls) = counted();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        sender.send(7).unwrap();
        assert_eq!(stream.poll_next_unpin(&mut cx), Poll::Ready(Some(7)));
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_ready_source_is_polled_again_for_what_it_may_hold() {
        let (sender, mut stream, polls) = counted();
        sender.send(1).unwrap();
        sender.send(2).unwrap();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert_eq!(stream.poll_next_unpin(&mut cx), Poll::Ready(Some(1)));
        // No wake came between the two items: the second is still found.
        assert_eq!(stream.poll_next_unpin(&mut cx), Poll::Ready(Some(2)));
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn the_task_is_woken_when_the_source_wakes() {
        let (sender, mut stream, _) = counted();
        let reader = tokio::spawn(async move { stream.next().await });
        tokio::task::yield_now().await;
        sender.send(5).unwrap();
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), reader).await;
        assert_eq!(read.expect("woken in time").unwrap(), Some(5));
    }

    #[test]
    fn a_changed_source_is_polled_again() {
        let (_sender, mut stream, polls) = counted();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        stream.changed();
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_future_is_polled_only_once_woken() {
        let (sender, receiver) = tokio::sync::oneshot::channel::<u32>();
        let mut future = Woken::new(receiver);
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        sender.send(3).unwrap();
        assert_eq!(Pin::new(&mut future).poll(&mut cx), Poll::Ready(Ok(3)));
    }
}
