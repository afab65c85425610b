package io.discagent.api.event;

/** A recorder arrived, was removed, or had its media changed. */
public sealed interface DeviceEvent extends RecorderEvent
        permits RecorderArrivedEvent, RecorderRemovedEvent, MediaChangedEvent {
}
