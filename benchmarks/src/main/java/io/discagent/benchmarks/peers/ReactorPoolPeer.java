package io.discagent.benchmarks.peers;

import java.time.Duration;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/** reactor-pool 1.2.8: a pool of exactly one resource, FIFO pending borrowers without a limit. */
final class ReactorPoolPeer implements Peer {

    private static final Duration PATIENCE = Duration.ofSeconds(120);

    /** What a caller would keep for itself as its identity. */
    record Client(String name) {
    }

    private final InstrumentedPool<Object> pool = PoolBuilder.from(Mono.just(new Object()))
            .sizeBetween(1, 1)
            .maxPendingAcquireUnbounded()
            .buildPool();

    ReactorPoolPeer() {
        pool.warmup().block(PATIENCE);
    }

    @Override
    public String name() {
        return "reactor-pool";
    }

    @Override
    public Object client(String name) {
        return new Client(name);
    }

    @Override
    public Object acquire(Object client) {
        return pool.acquire().block(PATIENCE);
    }

    @Override
    public void release(Object client, Object permit) {
        ((PooledRef<?>) permit).release().block(PATIENCE);
    }

    @Override
    public void releaseAsync(Object client, Object permit) {
        ((PooledRef<?>) permit).release().subscribe();
    }

    @Override
    public Runnable enqueue(Object client, Consumer<Object> granted) {
        Disposable d = pool.acquire().subscribe(granted::accept);
        return d::dispose;
    }

    @Override
    public int waiting() {
        return pool.metrics().pendingAcquireSize();
    }

    @Override
    public void close() {
        pool.disposeLater().block(PATIENCE);
    }
}
