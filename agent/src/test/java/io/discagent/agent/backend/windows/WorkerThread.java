package io.discagent.agent.backend.windows;

import io.discagent.agent.internal.NativeWorker;
import io.discagent.agent.spi.NativeThreadHooks;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** One of the agent's native workers, driven directly by a test: runs calls on it and waits for their results. */
final class WorkerThread implements AutoCloseable {

    private final NativeWorker worker;

    WorkerThread(String name, NativeThreadHooks hooks) {
        this.worker = new NativeWorker(name, hooks).start();
    }

    /** Runs {@code task} on the worker; its exception, if any, is rethrown here as it is. */
    <T> T call(Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        worker.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw (Error) cause;
        }
    }

    void run(Runnable task) throws Exception {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Stops the worker (its stop hook runs) and waits for it to end. */
    @Override
    public void close() {
        worker.stop();
        try {
            if (!worker.awaitStop(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the worker did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the worker stopped", e);
        }
    }
}
