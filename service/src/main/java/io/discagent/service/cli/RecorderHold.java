package io.discagent.service.cli;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A hold of the CLI on one recorder: through a running service (a session kept alive by heartbeats:
 * {@link ServiceHold}, for {@code acquire} and {@code exec}) or through an agent embedded in the process itself
 * ({@link EmbeddedHold}, for {@code exec --standalone}). Opened, then {@link #acquire}d (possibly waiting in line,
 * which {@link #abort()} ends), ended by {@link #close()}.
 */
interface RecorderHold extends AutoCloseable {

    /**
     * Acquires the recorder (the only one there is, when {@code recorder} is {@code null}), waiting in line up to
     * {@code wait}.
     *
     * @throws AgentClient.Failure or {@link io.discagent.api.error.RecorderException} when it is not granted
     */
    void acquire(@Nullable String recorder, Duration wait, boolean force);

    /** The held recorder's id. */
    String recorder();

    /** The held drive's device paths, from the grant: the node to open first, then siblings the hold also keeps. */
    List<String> devicePaths();

    /** The session id, for the command's environment; {@code null} for an embedded agent. */
    @Nullable String session();

    /**
     * Why the hold is lost or about to be lost (the device was removed, the session closed, the service has not
     * answered heartbeats for half the lease), or {@code null} while it is sound. Any thread.
     */
    @Nullable HoldLost lost();

    /** Ends the wait of an acquire still in progress (a signal arrived before it was granted). Any thread. */
    void abort();

    /** Releases the recorder and frees what the hold uses. */
    @Override
    void close();
}
