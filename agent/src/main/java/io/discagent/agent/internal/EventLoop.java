package io.discagent.agent.internal;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The one Vert.x event-loop context that owns all agent state. Every state change runs here, one task at a time, so
 * no lock or {@code synchronized} guards agent state.
 *
 * <p>The context comes from deploying a small verticle, so an agent gets an event loop of its own even on a shared
 * {@link Vertx}.
 */
public final class EventLoop {

    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    private final Vertx vertx;
    private final Context context;
    private final Thread thread;
    private final String deploymentId;
    private final boolean nonBlocking;

    private EventLoop(Vertx vertx, Context context, Thread thread, String deploymentId, boolean nonBlocking) {
        this.vertx = vertx;
        this.context = context;
        this.thread = thread;
        this.deploymentId = deploymentId;
        this.nonBlocking = nonBlocking;
        if (nonBlocking) {
            NonBlockingThreads.add(thread);
        }
    }

    /**
     * Deploys the agent's verticle on {@code vertx}; completes with its event loop.
     *
     * @param ownsThread whether the agent created {@code vertx} itself: its event-loop thread is then marked
     *     non-blocking for Reactor ({@link NonBlockingThreads}), so a {@code block()} there fails at once
     */
    public static Future<EventLoop> deploy(Vertx vertx, boolean ownsThread) {
        Objects.requireNonNull(vertx, "vertx");
        Holder holder = new Holder();
        return vertx.deployVerticle(holder)
                .map(id -> new EventLoop(vertx, holder.context(), holder.thread.join(), id, ownsThread));
    }

    /**
     * Runs {@code task} on the event loop, after the tasks already queued (never inline).
     *
     * @return false if the agent's Vert.x instance has shut down and the task was dropped (a late timer or native
     *     result has nothing left to update; a caller waiting for an answer must be told instead)
     */
    public boolean execute(Runnable task) {
        try {
            context.runOnContext(ignored -> {
                try {
                    task.run();
                } catch (Throwable t) {
                    LOG.log(Level.ERROR, "uncaught exception on the agent event loop", t);
                }
            });
            return true;
        } catch (RejectedExecutionException closed) {
            LOG.log(Level.DEBUG, "dropping a task: the event loop has shut down");
            return false;
        }
    }

    /** Whether the caller runs on this event loop. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * For {@code assert}: whether the caller runs on this event loop, throwing an {@link AssertionError} that names
     * the offending thread if not (Netty's {@code assert inEventLoop()}).
     */
    public boolean assertInLoop() {
        if (Thread.currentThread() != thread) {
            throw new AssertionError("agent state touched from " + Thread.currentThread().getName()
                    + " instead of the event loop " + thread.getName());
        }
        return true;
    }

    /** Fails fast when called off the event loop: a guard for state-changing methods. */
    public void checkInLoop() {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("agent state touched from " + Thread.currentThread().getName()
                    + " instead of the event loop " + thread.getName());
        }
    }

    /** The event loop's thread. */
    public Thread thread() {
        return thread;
    }

    /** The Vert.x instance. */
    public Vertx vertx() {
        return vertx;
    }

    /** Undeploys the agent's verticle. */
    public Future<Void> undeploy() {
        if (nonBlocking) {
            NonBlockingThreads.remove(thread);
        }
        return vertx.undeploy(deploymentId);
    }

    private static final class Holder extends VerticleBase {

        private final CompletableFuture<Thread> thread = new CompletableFuture<>();

        Context context() {
            return context;
        }

        @Override
        public Future<?> start() {
            thread.complete(Thread.currentThread());
            return Future.succeededFuture();
        }
    }
}
