package io.discagent.agent.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.scheduler.Schedulers;

/**
 * The event-loop threads that agents own, made known to Reactor as non-blocking threads: a {@code block()} called
 * on one of them (an API {@code Mono} blocked inside an API callback, which would wait for the very thread it
 * blocks) fails at once with Reactor's {@code IllegalStateException} instead of freezing every recorder.
 *
 * <p>Only threads of a Vert.x instance the agent created itself are marked: an agent started on the user's own
 * {@code Vertx} runs on the user's event loop, whose blocking rules are the user's (Vert.x's blocked-thread checker
 * warns about it).
 */
final class NonBlockingThreads {

    private static final Set<Thread> THREADS = ConcurrentHashMap.newKeySet();

    static {
        Schedulers.registerNonBlockingThreadPredicate(THREADS::contains);
    }

    private NonBlockingThreads() {
    }

    static void add(Thread thread) {
        THREADS.add(thread);
    }

    static void remove(Thread thread) {
        THREADS.remove(thread);
    }
}
