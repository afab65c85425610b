package io.discagent.agent.spi;

/** Which native worker a {@link NativeThreadHooks} is for. */
public enum NativeWorkerKind {
    /** The one worker that enumerates, watches hotplug and closes the backend. */
    CONTROL,
    /** The worker of one recorder (one per recorder), which opens it and makes all its calls. */
    RECORDER
}
