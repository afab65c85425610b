package io.discagent.agent.spi;

/**
 * How a native worker thread sleeps while it has nothing to do, for a backend whose threads must also wake for
 * something other than the agent's calls: a COM single-threaded apartment waits for window messages and calls at once
 * ({@code MsgWaitForMultipleObjectsEx}) instead of sleeping a fixed time and polling its message queue.
 *
 * <p>The worker calls {@link #await} only on its own thread, and calls {@link #wake} from any thread after it queued a
 * call for a worker that may be waiting. A wake that comes before the wait must not be lost: the next wait returns at
 * once.
 */
public interface IdleWait {

    /**
     * Waits on the worker's thread until {@link #wake} is called, until something else the thread must handle
     * arrives, or until {@code nanos} have passed. It may return early; the worker then checks its queue and runs
     * its idle hook.
     *
     * @param nanos the longest wait; 0 means no limit
     */
    void await(long nanos);

    /** Any thread: ends the wait in progress, or the next one if none is. */
    void wake();
}
