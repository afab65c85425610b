package io.discagent.agent;

import io.discagent.api.RecorderId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether an agent can serve its clients ({@link DiscAgent#health()}): it is running, its backend answers, and which
 * of its recorders do not respond.
 *
 * @param status {@link Status#UP}, {@link Status#DEGRADED} or {@link Status#DOWN}
 * @param backend the backend in use ({@code simulated}, {@code linux}, {@code windows})
 * @param recorders how many recorders the agent knows
 * @param unresponsive the recorders that do not respond: a native call on them has run over the command timeout and
 *     not returned (requests that do not wait fail fast there with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}), in the
 *     order the agent lists its recorders
 * @param problem what is wrong, in one sentence, naming the recorders; {@code null} when {@link Status#UP}
 */
public record AgentHealth(Status status, String backend, int recorders, List<RecorderId> unresponsive,
        @Nullable String problem) {

    /** How well the agent serves. */
    public enum Status {
        /** Running, the backend answers, every recorder responds. */
        UP,
        /** Running and the backend answers, but some recorders do not respond ({@link #unresponsive()}). */
        DEGRADED,
        /** Closed, or its backend does not answer: it serves nobody. */
        DOWN
    }

    public AgentHealth {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(backend, "backend");
        unresponsive = List.copyOf(unresponsive);
    }

    /** An agent that serves nobody, and why. */
    public static AgentHealth down(String backend, String problem) {
        return new AgentHealth(Status.DOWN, backend, 0, List.of(), problem);
    }
}
