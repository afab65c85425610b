package io.discagent.benchmarks.peers;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Vert.x's local lock ({@code sharedData().getLocalLockWithTimeout}), called from outside Vert.x as a library user
 * would. It has no cancellation of a waiter (only timeouts) and does not tell how many wait, so this counts them.
 */
final class VertxLockPeer implements Peer {

    private static final String LOCK = "recorder";
    private static final long TIMEOUT_MILLIS = TimeUnit.HOURS.toMillis(1);

    /** What a caller would keep for itself as its identity. */
    record Client(String name) {
    }

    private final Vertx vertx = Vertx.vertx();
    private final AtomicInteger waiting = new AtomicInteger();

    @Override
    public String name() {
        return "Vert.x local lock";
    }

    @Override
    public Object client(String name) {
        return new Client(name);
    }

    @Override
    public Object acquire(Object client) {
        return vertx.sharedData().getLocalLockWithTimeout(LOCK, TIMEOUT_MILLIS).toCompletionStage()
                .toCompletableFuture().join();
    }

    @Override
    public void release(Object client, Object permit) {
        ((Lock) permit).release();
    }

    @Override
    public void releaseAsync(Object client, Object permit) {
        ((Lock) permit).release();
    }

    @Override
    public @Nullable Runnable enqueue(Object client, Consumer<Object> granted) {
        waiting.incrementAndGet();
        vertx.sharedData().getLocalLockWithTimeout(LOCK, TIMEOUT_MILLIS).onSuccess(lock -> {
            waiting.decrementAndGet();
            granted.accept(lock);
        });
        return null;
    }

    /** Queues a waiter that gives up after {@code millis}; {@code done} runs when it has (or was granted). */
    void enqueueWithTimeout(long millis, Runnable done) {
        vertx.sharedData().getLocalLockWithTimeout(LOCK, millis).onComplete(result -> {
            if (result.succeeded()) {
                result.result().release();
            }
            done.run();
        });
    }

    @Override
    public int waiting() {
        return waiting.get();
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
