package io.discagent.agent.adversary;

import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Subscribes to lockTransitions() as a subscriber that keeps up ("never misses a transition") and checks that the
 * story it tells is consistent: increasing sequences, every transition starting from the state the previous one of
 * its recorder ended in, counts moving by one, and no hand-over from one session straight to another.
 */
final class TransitionChecker implements Consumer<LockTransition> {

    private final Harness h;
    private final Map<RecorderId, LockState> last = new HashMap<>();
    private long lastSequence = -1;
    final AtomicLong seen = new AtomicLong();

    TransitionChecker(Harness h) {
        this.h = h;
    }

    @Override
    public synchronized void accept(LockTransition t) {
        seen.incrementAndGet();
        if (Thread.currentThread() != h.loop) {
            h.violation("a lock transition signalled off the event loop: " + t);
        }
        if (t.cause() != Cause.SNAPSHOT && t.sequence() <= lastSequence) {
            h.violation("sequence went from " + lastSequence + " to " + t.sequence() + ": " + t);
        }
        lastSequence = Math.max(lastSequence, t.sequence());
        if (t.cause() == Cause.SNAPSHOT) {
            last.put(t.recorder(), t.to());
            return;
        }
        LockState before = last.get(t.recorder());
        if (before != null && !before.equals(t.from())) {
            h.violation("transition from " + t.from() + " but the last state was " + before + ": " + t);
        }
        LockState from = t.from();
        LockState to = t.to();
        if (from.isHeld() && to.isHeld() && !from.session().equals(to.session())) {
            h.violation("held by one session and then another with no free state between: " + t);
        }
        switch (t.cause()) {
            case ACQUIRED -> {
                if (to.count() != from.count() + 1) {
                    h.violation("ACQUIRED must add one: " + t);
                }
            }
            case RELEASED -> {
                if (to.count() != from.count() - 1) {
                    h.violation("RELEASED must take one: " + t);
                }
            }
            case SESSION_CLOSED, DEVICE_REMOVED, FORCED_BY_BACKEND, AGENT_CLOSED -> {
                if (to.isHeld()) {
                    h.violation(t.cause() + " must free the recorder: " + t);
                }
            }
            default -> { }
        }
        last.put(t.recorder(), to);
    }
}
