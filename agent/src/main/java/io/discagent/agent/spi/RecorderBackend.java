package io.discagent.agent.spi;

import java.util.List;

/**
 * A source of recorders: the simulated recorders, the Linux block devices, the IMAPI2 disc master.
 *
 * <h2>Threads</h2>
 * The SPI is blocking. The agent calls {@link #enumerate()}, {@link #startHotplug} and {@link #close()} on its
 * <em>control</em> native worker ({@code discagent-native-control}), and {@link #open} (and then every
 * {@link BackendRecorder} method) on the native worker of that recorder: one dedicated OS thread per recorder, named
 * {@code discagent-native-<id>}. Each of these threads runs the backend's {@link #threadHooks} at start, between
 * calls, while idle and at stop. A backend may keep thread-confined native objects (COM apartments, sockets, file
 * descriptors) on them; the control worker's idle hook is the place to poll an event source (a netlink socket, a
 * window message queue) so that hotplug needs no thread of its own.
 *
 * <p>Failures are reported by throwing {@link io.discagent.api.error.RecorderException}s (built with
 * {@link io.discagent.api.error.RecorderExceptions}); any other exception becomes {@code E_FAIL}.
 */
public interface RecorderBackend {

    /** The backend's name, as its provider's. */
    String name();

    /**
     * What a native worker of the agent runs at start, between calls, while idle and at stop. Called once per
     * worker, on the event loop, before the worker starts.
     *
     * @param kind the control worker or a recorder's worker
     */
    default NativeThreadHooks threadHooks(NativeWorkerKind kind) {
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
