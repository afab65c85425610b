package io.discagent.agent.spi;

import java.time.Duration;

/**
 * What a backend needs done on each native worker thread: for example initialise a COM single-threaded apartment
 * at start, pump window messages between calls and while idle, and uninitialise at stop.
 */
public interface NativeThreadHooks {

    /** No hooks. */
    NativeThreadHooks NONE = new NativeThreadHooks() {
    };

    /** Runs first on the new thread, before any call. */
    default void onStart() {
    }

    /**
     * When {@link #idleInterval()} is positive: runs after every call, and at least every {@code idleInterval}
     * while no call is queued. Must return quickly (poll, do not block).
     */
    default void onIdle() {
    }

    /**
     * How often {@link #onIdle()} runs while the thread has nothing to do; {@link Duration#ZERO} (the default)
     * means never, and the thread sleeps until a call arrives.
     */
    default Duration idleInterval() {
        return Duration.ZERO;
    }

    /** Runs last on the thread, after its final call. */
    default void onStop() {
    }
}
