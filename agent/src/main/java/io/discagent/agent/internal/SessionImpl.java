package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.SessionId;
import java.util.HashMap;
import java.util.Map;
import io.discagent.api.error.RecorderException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.lang.System.Logger.Level;
import java.util.function.Consumer;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A client session. Its fields other than {@link #open} are event-loop state of {@link AgentCore}.
 */
final class SessionImpl implements ClientSession {

    private static final System.Logger LOG = System.getLogger(SessionImpl.class.getName());

    private final AgentCore core;
    private final SessionId id;
    private final String clientName;
    private volatile boolean open = true;
    private final Sinks.Empty<Void> closed = Sinks.empty();

    /** The holds this session has, by recorder. Event loop only. */
    final Map<RecorderId, Hold> holds = new HashMap<>();

    /** How many of this session's requests are queued on any recorder. Event loop only. */
    int queued;

    /**
     * Releases a grant that reached a subscriber who had just cancelled (Reactor discards it); one instance per
     * session, shared by all its requests.
     */
    final Consumer<Granted> releaseDiscarded = this::releaseDiscarded;

    SessionImpl(AgentCore core, SessionId id, String clientName) {
        this.core = core;
        this.id = id;
        this.clientName = clientName;
    }

    @Override
    public SessionId id() {
        return id;
    }

    @Override
    public String clientName() {
        return clientName;
    }

    @Override
    public Mono<LockGrant> acquire(RecorderId recorder, AcquireOptions options) {
        return core.acquire(this, recorder, options).map(Granted::grant);
    }

    @Override
    public Mono<Integer> release(RecorderId recorder) {
        return core.release(this, recorder);
    }

    @Override
    public Mono<Integer> lockCount(RecorderId recorder) {
        return core.lockCount(this, recorder);
    }

    @Override
    public Flux<LockGrant> acquireEach(Publisher<AcquireRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        return Flux.from(requests).concatMap(request -> acquire(request.recorder(), request.options()), 0);
    }

    @Override
    public <T> Flux<T> withLock(RecorderId recorder, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body) {
        Objects.requireNonNull(body, "body");
        return Flux.usingWhen(core.acquire(this, recorder, options),
                granted -> endOnLoss(Flux.<T>from(body.apply(granted.grant())), granted.hold()),
                granted -> core.releaseHold(this, granted),
                (granted, error) -> core.releaseHold(this, granted),
                granted -> core.releaseHold(this, granted));
    }

    /**
     * Runs {@code body} until it terminates or the hold is lost; on a loss the body is cancelled and the result fails
     * with the reason (a release that ends the hold normally is not a loss).
     */
    private static <T> Flux<T> endOnLoss(Flux<T> body, Hold hold) {
        return Flux.defer(() -> {
            AtomicReference<Throwable> loss = new AtomicReference<>();
            Mono<Throwable> lost = hold.end().then(Mono.<Throwable>never())
                    .onErrorResume(Mono::just)
                    .doOnNext(loss::set);
            return body.takeUntilOther(lost)
                    .concatWith(Mono.defer(() -> loss.get() == null ? Mono.<T>empty() : Mono.<T>error(loss.get())));
        });
    }

    private void releaseDiscarded(Granted granted) {
        core.releaseHold(this, granted).subscribe(null, error -> LOG.log(Level.WARNING, "releasing a discarded grant of "
                + granted.grant().recorder() + " failed", error));
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /**
     * Marks the session closed; returns false if it already was. Requests sleeping between retries learn it through
     * {@link #closedSignal()} and fail with {@code failure} at once. Event loop only.
     */
    boolean markClosed(RecorderException failure) {
        if (!open) {
            return false;
        }
        open = false;
        closed.tryEmitError(failure);
        return true;
    }

    /** Fails with the closing failure when the session closes; never succeeds. */
    <T> Mono<T> closedSignal() {
        return closed.asMono().then(Mono.never());
    }

    @Override
    public Mono<Void> close() {
        return core.closeSession(this);
    }

    @Override
    public String toString() {
        return "session " + id + " '" + clientName + "'";
    }
}
