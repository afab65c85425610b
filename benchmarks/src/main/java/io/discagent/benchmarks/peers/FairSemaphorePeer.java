package io.discagent.benchmarks.peers;

import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A fair {@link Semaphore} with one permit: the floor (no identity, no owner, no cancellation of a queued waiter; a
 * waiter is a parked thread). {@link #enqueue} starts a thread that blocks in {@code acquire()}.
 */
final class FairSemaphorePeer implements Peer {

    private static final Object PERMIT = new Object();

    private final Semaphore semaphore = new Semaphore(1, true);

    @Override
    public String name() {
        return "fair Semaphore";
    }

    @Override
    public Object client(String name) {
        return name;
    }

    @Override
    public Object acquire(Object client) {
        semaphore.acquireUninterruptibly();
        return PERMIT;
    }

    @Override
    public void release(Object client, Object permit) {
        semaphore.release();
    }

    @Override
    public void releaseAsync(Object client, Object permit) {
        semaphore.release();
    }

    @Override
    public @Nullable Runnable enqueue(Object client, Consumer<Object> granted) {
        Thread waiter = new Thread(() -> {
            semaphore.acquireUninterruptibly();
            granted.accept(PERMIT);
        }, "semaphore-waiter");
        waiter.setDaemon(true);
        waiter.start();
        return null;
    }

    @Override
    public int waiting() {
        return semaphore.getQueueLength();
    }

    @Override
    public void close() {
    }
}
