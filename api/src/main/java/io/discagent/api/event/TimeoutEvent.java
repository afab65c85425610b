package io.discagent.api.event;

/** Something took too long: a wait for exclusive access, or a native command. */
public sealed interface TimeoutEvent extends RecorderEvent permits AcquireTimedOutEvent, CommandTimedOutEvent {
}
