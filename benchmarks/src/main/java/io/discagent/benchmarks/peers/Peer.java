package io.discagent.benchmarks.peers;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One way to get exclusive access to one resource with a FIFO queue of waiters, driven the same way for every
 * library: a client identity (the agent's session), a blocking acquire and release, and a queued acquire whose grant
 * arrives in a callback and which may be cancelled.
 */
interface Peer extends AutoCloseable {

    /** The library's name in the table. */
    String name();

    /** A client identity: the agent's session; for the others, what a caller would keep for itself (its name). */
    Object client(String name);

    /** Closes a client identity made by {@link #client}. */
    default void closeClient(Object client) {
    }

    /** Acquires, waiting as long as it takes; returns the permit. */
    Object acquire(Object client);

    /** Releases a permit and waits until the release is done. */
    void release(Object client, Object permit);

    /** Releases a permit without waiting for the release to be done (the hand-off is timed from this call). */
    void releaseAsync(Object client, Object permit);

    /**
     * Queues an acquire; {@code granted} runs with the permit when it is granted (on whatever thread the library
     * chooses). Returns what cancels the waiter, or {@code null} when the library has no cancellation of a waiter.
     */
    @Nullable Runnable enqueue(Object client, Consumer<Object> granted);

    /** Waiters queued now, or -1 when the library does not tell. */
    int waiting();

    @Override
    void close();
}
