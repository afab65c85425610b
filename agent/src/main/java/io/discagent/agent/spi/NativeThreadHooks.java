package io.discagent.agent.spi;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

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

    /**
     * How the worker sleeps while idle; asked once, when the worker is created. {@code null} (the default): it parks,
     * and only a call (or the end of {@link #idleInterval()}) wakes it.
     */
    default @Nullable IdleWait idleWait() {
        return null;
    }

    /** Runs last on the thread, after its final call. */
    default void onStop() {
    }
}
