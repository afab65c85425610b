package io.discagent.agent.spi;

import java.util.List;

/**
 * A source of recorders: the simulated recorders, the Linux block devices, the IMAPI2 disc master.
 *
 * <h2>Threads</h2>
 * The SPI is blocking. The agent calls {@link #enumerate()}, {@link #startHotplug} and {@link #close()} on its
 * <em>control</em> native worker, and {@link #open} (and then every {@link BackendRecorder} method) on the native
 * worker of that recorder: one dedicated OS thread per recorder, named {@code discagent-native-<id>}. Each of these
 * threads runs {@link #threadHooks()} at start, between calls and at stop. A backend may keep thread-confined native
 * objects (COM apartments, file descriptors) on them.
 *
 * <p>Failures are reported by throwing {@link io.discagent.api.error.RecorderException}s (built with
 * {@link io.discagent.api.error.RecorderExceptions}); any other exception becomes {@code E_FAIL}.
 */
public interface RecorderBackend {

    /** The backend's name, as its provider's. */
    String name();

    /** What the agent's native workers run at start, while idle and at stop. */
    default NativeThreadHooks threadHooks() {
        return NativeThreadHooks.NONE;
    }

    /** The recorders present now. */
    List<RecorderDescriptor> enumerate();

    /**
     * Opens a recorder: the analogue of {@code InitializeDiscRecorder}. The returned object is the one native lock
     * holder of this recorder in the agent (IMAPI2 locks by handle), and is used only on this thread.
     */
    BackendRecorder open(RecorderDescriptor descriptor);

    /**
     * Starts reporting arrivals, removals and media changes. The listener may be called from any thread; it returns
     * at once.
     */
    void startHotplug(HotplugListener listener);

    /** Stops hotplug reporting and frees what the backend holds. Recorders are closed before this. */
    default void close() {
    }
}
