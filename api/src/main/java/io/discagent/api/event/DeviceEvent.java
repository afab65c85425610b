package io.discagent.api.event;

/**
 * A recorder arrived, was removed, had its media changed, had its locked tray unlocked by another process, or had
 * its eject button pressed while locked.
 */
public sealed interface DeviceEvent extends RecorderEvent
        permits RecorderArrivedEvent, RecorderRemovedEvent, MediaChangedEvent, TrayUnlockedEvent,
        EjectRequestedEvent {
}
