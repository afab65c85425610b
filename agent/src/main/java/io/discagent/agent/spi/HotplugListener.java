package io.discagent.agent.spi;

import io.discagent.api.error.RecorderException;
import io.discagent.api.event.MediaChangedEvent.MediaState;

/**
 * Receives device changes from a backend. Every method may be called from any thread and returns at once: the agent
 * moves the work to its event loop.
 */
public interface HotplugListener {

    /** A recorder appeared. */
    void recorderArrived(RecorderDescriptor descriptor);

    /** A recorder disappeared. */
    void recorderRemoved(String id);

    /** A recorder's medium or tray changed. */
    void mediaChanged(String id, MediaState state);

    /**
     * A held native lock was lost without a release (the handle died, the driver dropped it). The agent frees the
     * recorder with cause {@code FORCED_BY_BACKEND} and fails the holder's leases with {@code reason}.
     */
    void lockLost(String id, RecorderException reason);
}
