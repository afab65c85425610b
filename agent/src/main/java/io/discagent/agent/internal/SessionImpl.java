package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.SessionId;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.event.LockTransition.Cause;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A client session: a name, an open flag, and how many of its requests are queued (so a grant can find the session's
 * other waiters without walking every queue). What it holds lives in the recorders' slots. Its fields other than
 * {@link #open} are event-loop state of {@link AgentCore}.
 */
final class SessionImpl implements ClientSession {

    private final AgentCore core;
    /** The agent's number for this session: its id is {@code s-<number>}, made when first asked for. */
    private final long number;
    private @Nullable SessionId id;
    private final String clientName;
    private volatile boolean open = true;

    /** How many of this session's requests are queued on any recorder. Event loop only. */
    int queued;
    /** The neighbours of this session in the agent's list of open sessions ({@link OpenSessions}). Event loop only. */
    @Nullable SessionImpl previousOpen;
    @Nullable SessionImpl nextOpen;

    SessionImpl(AgentCore core, long number, String clientName) {
        this.core = core;
        this.number = number;
        this.clientName = clientName;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Made on first use and kept: an idle session carries its number only. Two threads asking at once may each
     * make one; they are equal.
     */
    @Override
    public SessionId id() {
        SessionId made = id;
        if (made == null) {
            made = new SessionId("s-" + number);
            id = made;
        }
        return made;
    }

    /** The agent this session belongs to. */
    AgentCore core() {
        return core;
    }

    @Override
    public String clientName() {
        return clientName;
    }

    @Override
    public Mono<LockGrant> acquire(RecorderId recorder, AcquireOptions options) {
        return core.acquire(this, recorder, options, false);
    }

    @Override
    public Mono<LockGrant> acquireAny(RecorderSelector selector, AcquireOptions options) {
        return core.acquireAny(this, selector, options, false);
    }

    @Override
    public Mono<Integer> release(RecorderId recorder) {
        return core.release(this, recorder);
    }

    @Override
    public Mono<Integer> release(LockGrant grant) {
        return core.release(this, grant);
    }

    @Override
    public Mono<Integer> lockCount(RecorderId recorder) {
        return core.lockCount(this, recorder);
    }

    @Override
    public Mono<Map<RecorderId, Integer>> placesInLine() {
        return core.placesInLine(this);
    }

    @Override
    public Flux<LockGrant> acquireEach(@Nullable Publisher<AcquireRequest> requests) {
        return new AcquireEachFlux(core, this, requests);
    }

    @Override
    public <T> Flux<T> withLock(RecorderId recorder, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body) {
        return new WithLockFlux<>(core, this, recorder, null, options, body);
    }

    @Override
    public <T> Flux<T> withLockAny(RecorderSelector selector, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body) {
        if (selector == null) {
            return core.<T>sessionReply(this, reply -> reply.error(new InvalidArgumentException(
                    "selector must not be null"))).flux();
        }
        return new WithLockFlux<>(core, this, null, selector, options, body);
    }

    @Override
    public Flux<BurnProgress> burn(@Nullable LockGrant grant, @Nullable BurnRequest request) {
        return core.burn(this, grant, request);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Marks the session closed; returns false if it already was. Event loop only. */
    boolean markClosed() {
        if (!open) {
            return false;
        }
        open = false;
        return true;
    }

    @Override
    public Mono<Void> close() {
        return core.closeSession(this, Cause.SESSION_CLOSED, null);
    }

    /**
     * Closes the session with a reason of the caller's: what its pending requests and {@code withLock} bodies fail
     * with (the service passes "lease expired").
     */
    Mono<Void> close(RecorderException reason) {
        return core.closeSession(this, Cause.SESSION_CLOSED, reason);
    }

    @Override
    public String toString() {
        return "session " + id() + " '" + clientName + "'";
    }
}
