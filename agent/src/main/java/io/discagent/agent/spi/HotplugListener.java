package io.discagent.agent.spi;

import io.discagent.api.error.RecorderException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

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
     * recorder with cause {@code FORCED_BY_BACKEND} and fails the holder's withLock scopes with {@code reason}.
     */
    void lockLost(String id, RecorderException reason);

    /**
     * While the agent held the recorder with its tray locked, another process unlocked the tray or ejected the disc;
     * the backend noticed on a poll of the held drive. The agent publishes a
     * {@link io.discagent.api.event.TrayUnlockedEvent}; the hold itself is unaffected.
     *
     * @param culprit who had the drive open when it was noticed ({@code eject (pid 4242)}), if anyone
     * @param trayOpened whether the tray was found open, not only unlocked
     * @param relocked whether the backend locked the tray again
     */
    default void trayUnlocked(String id, @Nullable String culprit, boolean trayOpened, boolean relocked) {
    }

    /**
     * Someone pressed the eject button while the tray was locked (the kernel's {@code DISK_EJECT_REQUEST}). The agent
     * publishes an {@link io.discagent.api.event.EjectRequestedEvent}.
     */
    default void ejectRequested(String id) {
    }
}
