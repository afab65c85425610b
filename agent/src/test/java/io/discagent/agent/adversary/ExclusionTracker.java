package io.discagent.agent.adversary;

import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * Watches the promise "at most one session holds a recorder": a withLock body of one session never runs while a
 * body of another session runs on the same recorder, and no grant reaches another session meanwhile. A body counts
 * as running from the moment the agent hands it the grant until it terminates (before withLock hears of it) or is
 * cancelled (before the cancel goes further up), so the checks are exact, with no timing slack.
 */
final class ExclusionTracker {

    /** Who runs bodies on a recorder: the session's name and how many of its bodies run. */
    private record Running(String session, int bodies) {
    }

    private final Map<RecorderId, Running> running = new ConcurrentHashMap<>();
    private final Harness h;
    final AtomicLong bodiesStarted = new AtomicLong();
    final AtomicLong grantsChecked = new AtomicLong();

    ExclusionTracker(Harness h) {
        this.h = h;
    }

    /** Wraps a body: marks it running while it runs, and reports another session's body running at its start. */
    <T> Function<LockGrant, Publisher<T>> body(String session, Function<LockGrant, Publisher<T>> body) {
        return grant -> {
            if (Thread.currentThread() != h.loop) {
                h.violation("a withLock body received its grant off the event loop");
            }
            enter(grant.recorder(), session);
            bodiesStarted.incrementAndGet();
            AtomicBoolean ended = new AtomicBoolean();
            Runnable exit = () -> {
                if (ended.compareAndSet(false, true)) {
                    exit(grant.recorder(), session);
                }
            };
            Publisher<T> inner;
            try {
                inner = body.apply(grant);
            } catch (RuntimeException e) {
                exit.run();
                throw e;
            }
            return Flux.from(inner).doOnTerminate(exit).doOnCancel(exit);
        };
    }

    /** Checks a grant handed to a raw acquire subscriber. */
    void grantDelivered(String session, LockGrant grant) {
        grantsChecked.incrementAndGet();
        Running now = running.get(grant.recorder());
        if (now != null && !now.session().equals(session)) {
            h.violation("a grant of " + grant.recorder() + " reached " + session + " while a body of "
                    + now.session() + " ran");
        }
    }

    private void enter(RecorderId recorder, String session) {
        running.compute(recorder, (r, now) -> {
            if (now == null) {
                return new Running(session, 1);
            }
            if (!now.session().equals(session)) {
                h.violation("a body of " + session + " started on " + r + " while " + now.bodies() + " body(ies) of "
                        + now.session() + " ran");
                return now;
            }
            return new Running(session, now.bodies() + 1);
        });
    }

    private void exit(RecorderId recorder, String session) {
        running.computeIfPresent(recorder, (r, now) -> {
            if (!now.session().equals(session)) {
                return now;
            }
            return now.bodies() == 1 ? null : new Running(session, now.bodies() - 1);
        });
    }

    boolean idle() {
        return running.isEmpty();
    }
}
