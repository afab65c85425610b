package io.discagent.agent.internal;

import io.discagent.api.error.EventOverflowException;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderEvent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * One subscriber of the {@link EventHub}: the events of one type, of every recorder or of one, with a bounded buffer
 * for those it has not requested yet (the slow-subscriber policy of {@link EventHub}).
 *
 * <h2>Threads</h2>
 * Events and terminal signals enter on the event loop ({@link #offer}, {@link #terminate}). {@link #request} and
 * {@link #cancel} may come from any thread; a {@code request} from another thread hops to the event loop to deliver
 * what it asks for, so every signal reaches the subscriber from the event loop. Signals reach the subscriber
 * serially, by the classic queue-drain protocol: whichever drain raises {@code wip} from 0 delivers what is buffered
 * and requested.
 *
 * <p><b>Direct delivery.</b> Most subscribers request everything ({@code Long.MAX_VALUE}); a buffer then never holds
 * anything, yet passing every event through it cost two atomic operations and a queue round trip per subscriber and
 * event, for thousands of subscribers on the one event loop. So once the demand is unbounded, the event loop takes
 * {@code wip} for good (after delivering what was buffered): from then on only the event loop ever signals the
 * subscriber, and it calls {@code onNext} directly. Demand cannot go down from unbounded, and a {@code request} then
 * finds {@code wip} taken and does nothing.
 */
final class HubSubscription<T extends RecorderEvent> implements Subscription {

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<HubSubscription> WIP =
            AtomicIntegerFieldUpdater.newUpdater(HubSubscription.class, "wip");
    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<HubSubscription> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(HubSubscription.class, "requested");
    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<HubSubscription> DELIVERED =
            AtomicLongFieldUpdater.newUpdater(HubSubscription.class, "delivered");

    private final EventHub hub;
    private final Class<T> type;
    /** The one recorder whose events it takes; {@code null} for every recorder. */
    private final @Nullable RecorderId only;
    /**
     * The agent's own instance of {@link #only}'s id, once seen: most events are then matched by identity instead of
     * by comparing strings (this runs for every subscriber and event). Event loop only.
     */
    private @Nullable RecorderId seen;
    /** Cleared on cancel, so a cancelled subscriber is let go at once (Reactive Streams 3.13). */
    private volatile @Nullable Subscriber<? super T> actual;
    private final int bufferSize;
    private final Queue<T> buffer;

    private volatile int wip;
    private volatile long requested;
    private volatile boolean cancelled;
    /**
     * Set by the event loop once it delivers directly (and holds {@code wip} for good). Read without synchronisation
     * by {@link #request} and {@link #cancel} only to skip work: one that misses the change takes the (held)
     * {@code wip} path, which does nothing.
     */
    private boolean direct;
    /** Terminal signal waiting for the buffer to empty: {@code done}, with {@code error} null for completion. */
    private volatile boolean done;
    /** The overflow grace ran out: drop what is buffered and signal the terminal at once, demand or not. */
    private volatile boolean dropBuffered;
    private @Nullable Throwable error;
    /** Events delivered from the buffer; written by the drainer only. */
    private volatile long delivered;

    // Event loop only.
    private long enqueued;
    private boolean terminated;

    HubSubscription(EventHub hub, Class<T> type, @Nullable RecorderId only, Subscriber<? super T> actual,
            int bufferSize) {
        this.hub = hub;
        this.type = type;
        this.only = only;
        this.actual = actual;
        this.bufferSize = bufferSize;
        this.buffer = Queues.<T>unbounded(16).get(); // bounded by bufferSize through enqueued - delivered
    }

    boolean isCancelled() {
        return cancelled;
    }

    boolean isTerminated() {
        return terminated;
    }

    // ------------------------------------------------------------------------------------------------ event loop

    /** Whether this subscriber takes events of {@code eventClass} (of the recorders it takes). */
    boolean accepts(Class<?> eventClass) {
        return type.isAssignableFrom(eventClass);
    }

    /** Delivers or buffers {@code event}, of a class it {@link #accepts}, if it concerns its recorders. Event loop. */
    @SuppressWarnings("unchecked")
    void offerAccepted(RecorderEvent event) {
        if (only == null || concerns(event.recorder())) {
            emit((T) event);
        }
    }

    private boolean concerns(RecorderId id) {
        if (id == seen) {
            return true;
        }
        if (id.equals(only)) {
            seen = id;
            return true;
        }
        return false;
    }

    /** Whether this subscriber watches the lock transitions of {@code recorder}. Event loop. */
    boolean watchesLocksOf(RecorderId recorder) {
        return accepts(LockTransition.class) && (only == null || only.equals(recorder)) && !cancelled;
    }

    /** Delivers or buffers {@code value}; ends the subscription with an overflow if the buffer is full. Event loop. */
    void emit(T value) {
        if (direct) {
            if (!cancelled) { // also set once terminated
                next(value);
            }
            return;
        }
        if (terminated || cancelled) {
            return;
        }
        if (requested == Long.MAX_VALUE && tryDeliverDirectly()) {
            if (!cancelled) {
                next(value);
            }
            return;
        }
        if (enqueued - delivered >= bufferSize) {
            terminate(new EventOverflowException("the subscriber fell more than " + bufferSize + " events behind; "
                    + "subscribe again to start from the current state", null));
            hub.overflowed(this);
            return;
        }
        enqueued++;
        buffer.offer(value);
        drain();
    }

    /**
     * Ends the subscription: completes it ({@code failure} null) or fails it, after the events already buffered.
     * Event loop.
     */
    void terminate(@Nullable Throwable failure) {
        if (terminated) {
            return;
        }
        terminated = true;
        if (direct) {
            if (!cancelled) {
                cancelled = true;
                if (failure == null) {
                    complete();
                } else {
                    fail(failure);
                }
            }
            return;
        }
        error = failure;
        done = true;
        drain();
    }

    /**
     * Takes {@code wip} for good if no other thread holds it, after delivering what is buffered; returns whether it
     * did. Event loop.
     */
    private boolean tryDeliverDirectly() {
        if (wip != 0 || !WIP.compareAndSet(this, 0, 1)) {
            return false; // a drain runs elsewhere; try again with the next event
        }
        T value;
        while (!cancelled && (value = buffer.poll()) != null) {
            next(value);
            delivered++;
        }
        if (cancelled) {
            buffer.clear();
        }
        direct = true;
        return true;
    }

    /** The overflow grace ran out: the terminal signal goes out now, without the buffered events. Event loop. */
    void dropBufferedAndEnd() {
        if (!done || direct) {
            return;
        }
        dropBuffered = true;
        drain();
    }

    // ------------------------------------------------------------------------------------------------ any thread

    @Override
    public void request(long n) {
        if (n <= 0) {
            hub.failLater(this, new IllegalArgumentException(
                    "§3.9 violated: request must be positive, but was " + n));
            return;
        }
        Operators.addCap(REQUESTED, this, n);
        if (!direct) {
            hub.drainOnLoop(this); // what is buffered goes out from the event loop, never from the requester
        }
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        actual = null;
        hub.removeLater(this);
        if (!direct && WIP.getAndIncrement(this) == 0) {
            buffer.clear(); // wip stays taken: nothing is signalled any more
        }
    }

    /** Delivers what is buffered and requested, or the terminal signal. Event loop (or a drain it started). */
    void drain() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            if (dropBuffered && !cancelled) {
                buffer.clear();
                signalTerminal();
                return;
            }
            long r = requested;
            long e = 0;
            while (e != r) {
                if (cancelled) {
                    buffer.clear();
                    return;
                }
                boolean d = done;
                T value = buffer.poll();
                if (value == null) {
                    if (d) {
                        signalTerminal();
                        return;
                    }
                    break;
                }
                next(value);
                DELIVERED.lazySet(this, delivered + 1);
                e++;
            }
            if (cancelled) {
                buffer.clear();
                return;
            }
            if (done && buffer.isEmpty()) {
                signalTerminal();
                return;
            }
            if (e != 0 && r != Long.MAX_VALUE) {
                REQUESTED.addAndGet(this, -e);
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /** The buffer is empty and the subscription ended: signal it once (wip stays taken). */
    private void signalTerminal() {
        cancelled = true;
        Throwable failure = error;
        if (failure == null) {
            complete();
        } else {
            fail(failure);
        }
    }

    private void next(T value) {
        Subscriber<? super T> a = actual;
        if (a != null) {
            a.onNext(value);
        }
    }

    private void complete() {
        Subscriber<? super T> a = actual;
        if (a != null) {
            a.onComplete();
        }
    }

    private void fail(Throwable failure) {
        Subscriber<? super T> a = actual;
        if (a != null) {
            a.onError(failure);
        }
    }
}
