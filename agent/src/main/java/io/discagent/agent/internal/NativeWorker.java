package io.discagent.agent.internal;

import io.discagent.agent.spi.IdleWait;
import io.discagent.agent.spi.NativeThreadHooks;
import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A dedicated, named OS thread that runs native calls one at a time, in submission order, with the backend's
 * {@link NativeThreadHooks} at start, between calls, while idle and at stop (a COM single-threaded apartment with a
 * message pump on Windows).
 *
 * <p>A task is a plain {@link Runnable}: the agent's tasks catch their own failures and hand results back to the
 * event loop themselves. A task that never returns stalls only this worker (one worker per recorder).
 *
 * <p>The queue is lock-free; an idle worker polls it for a short while before it parks, so a call that follows
 * another one closely (the next call of a caller that waited for the last one) does not pay for a wake-up. It polls
 * between {@link Thread#yield()}s rather than spinning: on a machine with few cores a spinning worker takes the core
 * that the event loop (or the caller) needs to produce that next call, or to hand out the result of the last one.
 * When the backend supplies an {@link IdleWait}, the worker waits in it instead of parking, and a new call wakes it
 * through {@link IdleWait#wake()}.
 */
public final class NativeWorker {

    private static final System.Logger LOG = System.getLogger(NativeWorker.class.getName());
    /**
     * How long an idle worker polls its queue (yielding between polls) before it parks: 50 µs, or the system property
     * {@code discagent.nativeWorker.pollMicros} (0: park at once), a knob for measuring the alternatives
     * ({@code benchmarks/README.md}), not a setting.
     */
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(Math.max(0,
            Long.getLong("discagent.nativeWorker.pollMicros", 50)));

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final NativeThreadHooks hooks;
    private final long idleNanos;
    private final @Nullable IdleWait idleWait;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean parked;

    /**
     * @param name the thread's name
     * @param hooks what the backend runs on the thread
     */
    public NativeWorker(String name, NativeThreadHooks hooks) {
        this.hooks = hooks;
        this.idleNanos = hooks.idleInterval().toNanos();
        this.idleWait = hooks.idleWait();
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    /** Starts the thread. */
    public NativeWorker start() {
        thread.start();
        return this;
    }

    /** Queues a task. Tasks submitted after {@link #stop()} are dropped. */
    public void execute(Runnable task) {
        if (stopping) {
            LOG.log(Level.DEBUG, "dropping a task for stopped worker {0}", thread.getName());
            return;
        }
        queue.offer(task);
        if (parked) {
            IdleWait wait = idleWait;
            if (wait != null) {
                wait.wake();
            } else {
                LockSupport.unpark(thread);
            }
        }
    }

    /** Runs the tasks already queued, then the stop hook, then ends the thread. Does not wait. */
    public void stop() {
        execute(() -> stopping = true);
    }

    /**
     * Waits for the thread to end.
     *
     * @return whether it ended in time (a worker blocked in a native call that never returns does not)
     */
    public boolean awaitStop(long timeout, TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    /** Whether the caller runs on this worker. */
    public boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /** The thread's name. */
    public String name() {
        return thread.getName();
    }

    private void run() {
        try {
            hooks.onStart();
        } catch (Throwable t) {
            LOG.log(Level.ERROR, "native thread start hook failed on " + thread.getName(), t);
        }
        try {
            while (!stopping) {
                Runnable task = next();
                if (task != null) {
                    runTask(task);
                }
                idle();
            }
        } finally {
            try {
                hooks.onStop();
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "native thread stop hook failed on " + thread.getName(), t);
            }
            stopped.countDown();
        }
    }

    private Runnable next() {
        Runnable task = queue.poll();
        if (task != null) {
            return task;
        }
        long pollUntil = System.nanoTime() + POLL_NANOS;
        while (System.nanoTime() < pollUntil) {
            Thread.yield();
            task = queue.poll();
            if (task != null) {
                return task;
            }
        }
        parked = true;
        try {
            task = queue.poll();
            if (task == null) {
                IdleWait wait = idleWait;
                if (wait != null) {
                    wait.await(Math.max(idleNanos, 0));
                } else if (idleNanos > 0) {
                    LockSupport.parkNanos(this, idleNanos);
                } else {
                    LockSupport.park(this);
                }
                task = queue.poll();
            }
        } finally {
            parked = false;
        }
        return task;
    }

    private void runTask(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(Level.ERROR, "uncaught exception on native worker " + thread.getName(), t);
        }
    }

    private void idle() {
        if (idleNanos > 0) {
            try {
                hooks.onIdle();
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "native thread idle hook failed on " + thread.getName(), t);
            }
        }
    }
}
