package io.discagent.agent.internal;

import io.discagent.api.AcquireRequest;
import io.discagent.api.LockGrant;
import io.discagent.api.error.InvalidArgumentException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * {@code ClientSession.acquireEach}: one {@link AcquireOperation} at a time, the next request taken from upstream only
 * after the previous one was granted and while the subscriber has demand.
 *
 * <p>Who owns a grant: each grant is offered to the subscriber on the event loop ({@link AcquireOperation.Receiver});
 * the offer and the subscriber's cancellation settle it with one compare-and-set: a grant offered after the
 * cancellation is refused (the operation releases it), a grant offered before is emitted and the subscriber's.
 *
 * <p>Threads: every signal to the subscriber, upstream's end and errors included, comes from the event loop. Upstream
 * may signal on any thread; its signals hop to the loop. All fields but {@link #state} are event-loop state.
 */
final class AcquireEachFlux extends Flux<LockGrant> {

    private final AgentCore core;
    private final SessionImpl session;
    private final @Nullable Publisher<AcquireRequest> requests;

    AcquireEachFlux(AgentCore core, SessionImpl session, @Nullable Publisher<AcquireRequest> requests) {
        this.core = core;
        this.session = session;
        this.requests = requests;
    }

    @Override
    public void subscribe(CoreSubscriber<? super LockGrant> actual) {
        Each each = new Each(core, session, actual);
        actual.onSubscribe(each);
        if (requests == null) {
            each.hop(() -> each.fail(new InvalidArgumentException("requests must not be null", null)));
        } else {
            Flux.from(requests).subscribe(each.upstream);
        }
    }

    private static final class Each implements Subscription, AcquireOperation.Receiver {

        private static final int ACTIVE = 0;
        private static final int EMITTING = 1;
        private static final int CANCELLED = 2;
        private static final int DONE = 3;
        private static final AtomicIntegerFieldUpdater<Each> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Each.class, "state");

        private final AgentCore core;
        private final SessionImpl session;
        private final CoreSubscriber<? super LockGrant> actual;
        final Upstream upstream = new Upstream();
        private volatile int state;

        // ---- event loop only
        private long requested;
        private boolean upstreamAsked;
        private boolean upstreamDone;
        private @Nullable AcquireOperation inFlight;

        Each(AgentCore core, SessionImpl session, CoreSubscriber<? super LockGrant> actual) {
            this.core = core;
            this.session = session;
            this.actual = actual;
        }

        // ------------------------------------------------------------------------- the subscriber's side (any thread)

        @Override
        public void request(long n) {
            if (n <= 0) {
                hop(() -> fail(new IllegalArgumentException("§3.9 violated: request must be positive, but was " + n)));
                return;
            }
            hop(() -> {
                requested = Operators.addCap(requested, n);
                askUpstream();
            });
        }

        @Override
        public void cancel() {
            for (;;) {
                int s = state;
                if (s == CANCELLED || s == DONE) {
                    return;
                }
                if (STATE.compareAndSet(this, s, CANCELLED)) {
                    break; // EMITTING: the grant being emitted is the subscriber's
                }
            }
            upstream.cancel();
            hop(() -> {
                AcquireOperation op = inFlight;
                inFlight = null;
                if (op != null) {
                    op.cancel(); // a grant it still makes is offered here, refused, and released
                }
            });
        }

        // ------------------------------------------------------------------------------------------ event loop

        /** Runs {@code task} on the loop; when the agent is gone, fails from here. */
        void hop(Runnable task) {
            if (!core.loop().execute(task)) {
                fail(AgentCore.whenAgentClosed(session));
            }
        }

        private void askUpstream() {
            if (state != ACTIVE || inFlight != null || upstreamAsked || upstreamDone || requested == 0
                    || !upstream.subscribed()) {
                return;
            }
            upstreamAsked = true;
            upstream.requestOne();
        }

        private void start(AcquireRequest request) {
            upstreamAsked = false;
            if (state == CANCELLED || state == DONE) {
                return;
            }
            if (request == null) {
                fail(new InvalidArgumentException("a request must not be null", null));
                return;
            }
            AcquireOperation op = new AcquireOperation(session, request.recorder(), request.options(), this);
            inFlight = op;
            op.request(1);
        }

        @Override
        public boolean offer(AcquireOperation op, LockGrant grant) {
            if (!STATE.compareAndSet(this, ACTIVE, EMITTING)) {
                return false; // cancelled first: the operation releases it
            }
            inFlight = null;
            requested--;
            try {
                actual.onNext(grant);
            } finally {
                STATE.compareAndSet(this, EMITTING, ACTIVE); // a cancellation meanwhile stays
            }
            if (upstreamDone) {
                complete();
            } else {
                askUpstream();
            }
            return true;
        }

        @Override
        public void failed(AcquireOperation op, Throwable error) {
            if (inFlight == op || inFlight == null) {
                inFlight = null;
                fail(error);
            }
        }

        private void upstreamCompleted() {
            upstreamDone = true;
            if (inFlight == null) {
                complete();
            }
        }

        private void complete() {
            if (STATE.compareAndSet(this, ACTIVE, DONE)) {
                actual.onComplete();
            }
        }

        void fail(Throwable error) {
            if (STATE.compareAndSet(this, ACTIVE, DONE)) {
                upstream.cancel();
                actual.onError(error);
            }
        }

        /** The subscription to the requests; its signals hop to the loop. */
        final class Upstream implements CoreSubscriber<AcquireRequest> {

            private volatile @Nullable Subscription subscription;
            private volatile boolean cancelled;

            @Override
            public void onSubscribe(Subscription s) {
                if (subscription != null) {
                    s.cancel();
                    return;
                }
                subscription = s;
                if (cancelled) {
                    s.cancel();
                } else {
                    hop(Each.this::askUpstream);
                }
            }

            boolean subscribed() {
                return subscription != null;
            }

            void requestOne() {
                Subscription s = subscription;
                if (s != null) {
                    s.request(1);
                }
            }

            void cancel() {
                cancelled = true;
                Subscription s = subscription;
                if (s != null) {
                    s.cancel();
                }
            }

            @Override
            public void onNext(AcquireRequest request) {
                hop(() -> start(request));
            }

            @Override
            public void onError(Throwable error) {
                hop(() -> {
                    AcquireOperation op = inFlight;
                    inFlight = null;
                    if (op != null) {
                        op.cancel(); // the request under way ends with the stream
                    }
                    fail(error);
                });
            }

            @Override
            public void onComplete() {
                hop(Each.this::upstreamCompleted);
            }
        }
    }
}
