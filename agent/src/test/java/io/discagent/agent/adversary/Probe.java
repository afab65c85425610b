package io.discagent.agent.adversary;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A raw Reactive Streams subscriber that records every signal and the thread it came on, and lets a test request
 * and cancel exactly as it likes (including request(0), request(-1) and cancels from many threads).
 */
class Probe<T> implements Subscriber<T> {

    final List<T> values = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
    final AtomicInteger terminals = new AtomicInteger();
    final AtomicInteger onSubscribes = new AtomicInteger();
    final CountDownLatch terminated = new CountDownLatch(1);
    final CountDownLatch subscribed = new CountDownLatch(1);
    final CountDownLatch firstValue = new CountDownLatch(1);
    /** Signals that broke the Reactive Streams rules: an element after the end, a second end. */
    final List<String> protocolBreaches = new CopyOnWriteArrayList<>();
    private final long initialRequest;
    volatile @Nullable Subscription subscription;
    volatile boolean completed;

    Probe(long initialRequest) {
        this.initialRequest = initialRequest;
    }

    static <T> Probe<T> unbounded() {
        return new Probe<>(Long.MAX_VALUE);
    }

    @Override
    public void onSubscribe(Subscription s) {
        onSubscribes.incrementAndGet();
        subscription = s;
        subscribed.countDown();
        if (initialRequest != 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(T t) {
        if (terminals.get() > 0) {
            protocolBreaches.add("onNext after the terminal signal: " + t);
        }
        threads.add(Thread.currentThread().getName());
        values.add(t);
        firstValue.countDown();
    }

    @Override
    public void onError(Throwable t) {
        threads.add(Thread.currentThread().getName());
        error.set(t);
        if (terminals.incrementAndGet() > 1) {
            protocolBreaches.add("a second terminal signal: " + t);
        }
        terminated.countDown();
    }

    @Override
    public void onComplete() {
        threads.add(Thread.currentThread().getName());
        completed = true;
        if (terminals.incrementAndGet() > 1) {
            protocolBreaches.add("a second terminal signal: onComplete");
        }
        terminated.countDown();
    }

    void request(long n) {
        awaitSubscribed().request(n);
    }

    void cancel() {
        awaitSubscribed().cancel();
    }

    Subscription awaitSubscribed() {
        try {
            if (!subscribed.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("no onSubscribe within 10 s");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return subscription;
    }

    boolean awaitTerminal(Duration d) {
        try {
            return terminated.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    boolean awaitValue(Duration d) {
        try {
            return firstValue.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    Set<String> threadSet() {
        return Set.copyOf(threads);
    }
}
