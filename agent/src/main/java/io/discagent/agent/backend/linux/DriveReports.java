package io.discagent.agent.backend.linux;

import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

/**
 * What a recorder's worker reports about the drive it holds, passed on to the agent's hotplug listener once hotplug
 * reporting has started. Any thread; returns at once.
 */
interface DriveReports {

    /** The media state read right after a claim, so that the agent's polling starts from a known state. */
    void media(String id, MediaState state);

    /**
     * Another process unlocked the held drive's tray or opened it.
     *
     * @param culprit the other processes that had the drive open when it was noticed, if any
     */
    void trayUnlocked(String id, @Nullable String culprit, boolean trayOpened, boolean relocked);

    /** Someone pressed the eject button of the held drive (its tray is locked). */
    void ejectRequested(String id);
}
