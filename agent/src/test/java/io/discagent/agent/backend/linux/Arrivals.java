package io.discagent.agent.backend.linux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Things that arrive from another thread or process (events, output lines), kept in order, with a bounded wait for
 * the next one that matches. Everything taken while waiting stays in {@link #seen()} for failure messages.
 *
 * @param <T> what arrives
 */
final class Arrivals<T> {

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
    private final List<T> seen = new ArrayList<>();

    /** Any thread. */
    void add(T item) {
        queue.add(item);
    }

    /** Takes items until one matches and returns it, or returns {@code null} once {@code limit} has passed. */
    T next(Predicate<? super T> condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                T item = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
                if (item == null) {
                    return null;
                }
                seen.add(item);
                if (condition.test(item)) {
                    return item;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Takes everything that arrived so far without looking at it. */
    void skipAll() {
        queue.drainTo(seen);
    }

    /** Everything taken so far, oldest first. */
    List<T> seen() {
        skipAll();
        return seen;
    }
}
