package io.discagent.agent.internal;

import io.discagent.api.error.RecorderException;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * A {@code Mono} whose work runs on the agent's event loop and whose answer is signalled there: the shape of every
 * query and command of the API but {@code acquire} (which has its own delivery protocol, {@link AcquireOperation}).
 *
 * <p>Nothing happens before the subscriber requests. An answer that meets a cancellation is dropped quietly (it is
 * not a grant: nothing leaks), so a normal cancellation race never reaches Reactor's {@code onErrorDropped} hook and
 * its ERROR-level log. An exception the work throws fails the {@code Mono} with a typed error
 * ({@link NativeCalls#asRecorderException}): no exception on the event loop leaves a caller unanswered.
 */
final class LoopReply<T> extends Mono<T> {

    /** The answer to give, once. Event loop only. */
    interface Reply<T> {
        void success(@Nullable T value);

        void error(Throwable error);
    }

    private final EventLoop loop;
    private final Consumer<Reply<T>> work;
    private final Consumer<Reply<T>> whenLoopGone;

    /**
     * @param work what runs on the event loop and answers
     * @param whenLoopGone what answers, on the requesting thread, when the agent is closed and its loop gone
     */
    LoopReply(EventLoop loop, Consumer<Reply<T>> work, Consumer<Reply<T>> whenLoopGone) {
        this.loop = loop;
        this.work = work;
        this.whenLoopGone = whenLoopGone;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        actual.onSubscribe(new Call<>(loop, work, whenLoopGone, actual));
    }

    private static final class Call<T> implements Subscription, Reply<T> {

        private static final System.Logger LOG = System.getLogger(LoopReply.class.getName());
        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Call> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Call.class, "state");
        private static final int NEW = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;

        private final EventLoop loop;
        private final Consumer<Reply<T>> work;
        private final Consumer<Reply<T>> whenLoopGone;
        private final CoreSubscriber<? super T> actual;
        private volatile int state;

        Call(EventLoop loop, Consumer<Reply<T>> work, Consumer<Reply<T>> whenLoopGone,
                CoreSubscriber<? super T> actual) {
            this.loop = loop;
            this.work = work;
            this.whenLoopGone = whenLoopGone;
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (!STATE.compareAndSet(this, NEW, RUNNING)) {
                return;
            }
            if (n <= 0) {
                loop.execute(() -> error(new IllegalArgumentException(
                        "§3.9 violated: request must be positive, but was " + n)));
                return;
            }
            if (!loop.execute(this::run)) {
                whenLoopGone.accept(this);
            }
        }

        private void run() {
            if (state != RUNNING) {
                return;
            }
            try {
                work.accept(this);
            } catch (Throwable t) {
                error(t instanceof RecorderException ? t : NativeCalls.asRecorderException(t, null, "the call"));
            }
        }

        @Override
        public void cancel() {
            state = DONE;
        }

        @Override
        public void success(@Nullable T value) {
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                try {
                    if (value != null) {
                        actual.onNext(value);
                    }
                    actual.onComplete();
                } catch (Throwable t) {
                    LOG.log(Level.WARNING, "a subscriber threw from its signal", t);
                }
            }
        }

        @Override
        public void error(Throwable error) {
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                try {
                    actual.onError(error);
                } catch (Throwable t) {
                    LOG.log(Level.WARNING, "a subscriber threw from onError", t);
                }
            }
        }
    }
}
