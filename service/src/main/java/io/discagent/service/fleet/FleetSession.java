package io.discagent.service.fleet;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.SessionId;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.SessionClosedException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A client session of the fleet ({@link FleetAgent#openSession}): its holds live on the owning nodes, in a session of
 * each owning node's agent opened for it (named {@code "this-node: clientName"}), which this node keeps alive while it
 * holds anything there and which the owning node fences when it is not renewed in time. This session keeps its own
 * lock count per recorder (the grants its subscribers took, less its releases), so its counts are exact whatever order
 * the owning nodes answer in.
 *
 * <p>State lives on the fleet's event loop; every signal comes from there.
 */
final class FleetSession implements ClientSession {

    private static final System.Logger LOG = System.getLogger(FleetSession.class.getName());
    /** The longest wait sent to an owning node: a century stands for "indefinitely". */
    private static final Duration INDEFINITELY = Duration.ofDays(36_500);

    private final FleetAgent agent;
    private final FleetNode node;
    private final SessionId id;
    private final String clientName;

    // ---- fleet event loop only (closed is written there, read anywhere)
    private final Map<RecorderId, Hold> holds = new HashMap<>();
    private volatile boolean closed;
    /** Why the fleet agent closed this session, when it did: what its pending acquires fail with. */
    private @Nullable Throwable closedBy;

    /** What this session holds on one recorder of the fleet. */
    private static final class Hold {
        int count;
        /** The grants given out and not released yet, by identity (a grant released once takes nothing more). */
        final Set<LockGrant> grants = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        /** Who learns that the hold ended other than by a release of this session's (a {@code withLock} body). */
        final List<Consumer<Throwable>> enders = new ArrayList<>();
    }

    FleetSession(FleetAgent agent, FleetNode node, String clientName) {
        this.agent = agent;
        this.node = node;
        this.id = new SessionId(node.name() + FleetRecorders.SEPARATOR + UUID.randomUUID());
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

    /** Whether the session is open (not closed by its client or by the fleet agent); read without a hop. */
    @Override
    public boolean isOpen() {
        return !closed;
    }

    /** The session string the owning nodes know this session by. */
    private String key() {
        return id.value();
    }

    // ------------------------------------------------------------------------------------------------- acquire

    @Override
    public Mono<LockGrant> acquire(RecorderId recorder, AcquireOptions options) {
        if (recorder == null || options == null) {
            return invalid(recorder == null ? "recorder" : "options");
        }
        return grantMono((answer) -> {
            FleetRecorders.Qualified q = FleetRecorders.parse(recorder);
            return node.acquireRemote(q.node(), q.local(), key(), clientName, remoteWait(options), answer);
        });
    }

    @Override
    public Mono<LockGrant> acquireAny(RecorderSelector selector, AcquireOptions options) {
        if (selector == null || options == null) {
            return invalid(selector == null ? "selector" : "options");
        }
        // the view is read where the request starts, on the fleet's loop: no operator between the grant and its subscriber
        return grantMono(answer -> node.acquireAnyRemote(pool(node.viewNow(), selector), key(), clientName,
                remoteWait(options), answer));
    }

    /**
     * The fleet pool of {@code selector}: the reachable recorders it matches (by qualified id, or by its predicate
     * on their {@code RecorderInfo}) and, with a medium condition, whose medium as their node last published it
     * matches.
     */
    private static FleetPool pool(FleetView view, RecorderSelector selector) {
        Set<String> ids = new HashSet<>();
        boolean matched = false;
        for (FleetView.Recorder r : view.recorders()) {
            if (!r.reachable()) {
                continue;
            }
            var info = FleetRecorders.info(r.node(), r.recorder());
            if (selector.byIds() ? !selector.ids().contains(info.id()) : !selector.matches(info)) {
                continue;
            }
            matched = true;
            MediaInfo media = FleetRecorders.media(r.recorder().getJsonObject("media"));
            if (!selector.hasMediumCondition() || (media != null && selector.acceptsMedium(media))) {
                ids.add(r.qualifiedId());
            }
        }
        if (ids.isEmpty()) {
            throw matched ? new MediaNotWritableException("no recorder of the pool " + selector + " holds a "
                    + "matching medium (as its node last published it)", null)
                    : new RecorderRemovedException("no reachable recorder of the fleet " + view.fleet()
                            + " is in the pool " + selector, null);
        }
        return new FleetPool(ids, null);
    }

    /** The request as a {@code Mono} with the fleet's delivery ({@link RemoteAcquireMono}). */
    private Mono<LockGrant> grantMono(Function<java.util.function.BiConsumer<@Nullable RemoteGrant,
            @Nullable Throwable>, Runnable> start) {
        return new RemoteAcquireMono(work -> node.onLoop(() -> {
            work.run();
            return null;
        }), answered -> {
            java.util.function.BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> answer = (grant, error) ->
                    answered.accept(grant, error instanceof SessionClosedException && closedBy != null ? closedBy
                            : error);
            if (closed) {
                answered.accept(null, closedError()); // a call on a closed session, whoever closed it
                return () -> { };
            }
            try {
                return start.apply(answer); // pending when the fleet agent closes: that is why it ends
            } catch (RuntimeException invalid) {
                answer.accept(null, invalid);
                return () -> { };
            }
        }, this::accepted, this::giveBack, grant -> release(grant).subscribe(count -> { }, e -> { }));
    }

    /** A grant that won: counted here, then handed to its subscriber. Fleet loop. */
    private LockGrant accepted(RemoteGrant remote) {
        RecorderId qualified = FleetRecorders.qualify(remote.node(), remote.recorder().value());
        Hold hold = holds.computeIfAbsent(qualified, r -> new Hold());
        hold.count++;
        LockGrant grant = new LockGrant(qualified, id, hold.count, remote.holdId());
        hold.grants.add(grant);
        return grant;
    }

    /** A grant nobody took: its count is released on its owning node. Fleet loop. */
    private void giveBack(RemoteGrant remote) {
        node.releaseRemote(remote.node(), remote.recorder(), key()).subscribe(count -> { }, e -> LOG.log(Level.DEBUG,
                "giving back a fleet grant nobody took failed: " + e.getMessage()));
    }

    private static Duration remoteWait(AcquireOptions options) {
        return options.waitsForever() || options.waitTimeout().compareTo(INDEFINITELY) > 0 ? INDEFINITELY
                : options.waitTimeout();
    }

    @Override
    public Flux<LockGrant> acquireEach(Publisher<AcquireRequest> requests) {
        if (requests == null) {
            return this.<LockGrant>invalid("requests").flux();
        }
        // the requests' end reaches the subscriber from the fleet's loop, like every other signal
        Flux<AcquireRequest> onLoop = Flux.from(requests)
                .onErrorResume(failed -> node.onLoop(() -> null).then(Mono.error(failed)))
                .concatWith(node.onLoop(() -> null));
        return onLoop.concatMap(r -> acquire(r.recorder(), r.options()), 0)
                .doOnDiscard(LockGrant.class, grant -> release(grant).subscribe(count -> { }, e -> { }));
    }

    // ------------------------------------------------------------------------------------------------- release

    @Override
    public Mono<Integer> release(RecorderId recorder) {
        if (recorder == null) {
            return invalid("recorder");
        }
        return onLoop(() -> {
            FleetRecorders.Qualified q = FleetRecorders.parse(recorder);
            Hold hold = holds.get(q.id());
            if (hold == null || hold.count == 0) {
                throw node.knows(q.node(), q.local())
                        ? new LockNotHeldException("session " + id + " does not hold " + recorder, recorder)
                        : new RecorderRemovedException("no recorder " + recorder + " in the fleet", recorder);
            }
            LockGrant any = hold.grants.isEmpty() ? null : hold.grants.iterator().next();
            return releaseOne(recorder, hold, any);
        });
    }

    @Override
    public Mono<Integer> release(LockGrant grant) {
        if (grant == null) {
            return invalid("grant");
        }
        return onLoop(() -> {
            Hold hold = holds.get(grant.recorder());
            if (hold == null || !hold.grants.contains(grant)) {
                return Mono.just(hold == null ? 0 : hold.count); // released already, or its hold ended
            }
            return releaseOne(grant.recorder(), hold, grant);
        });
    }

    /** Takes one count off {@code hold} here and on its owning node. Fleet loop. */
    private Mono<Integer> releaseOne(RecorderId recorder, Hold hold, @Nullable LockGrant grant) {
        if (grant != null) {
            hold.grants.remove(grant);
        }
        int after = --hold.count;
        if (after == 0) {
            ended(recorder, hold, new LockNotHeldException("session " + id + " released " + recorder
                    + " to a count of 0 while a withLock body ran", recorder));
        }
        FleetRecorders.Qualified q = FleetRecorders.parse(recorder);
        return node.releaseRemote(q.node(), q.local(), key()).thenReturn(after)
                .onErrorResume(LockNotHeldException.class, fenced -> node.onLoop(() -> {
                    ended(recorder, hold, fenced); // the owning node ended it (not renewed in time): it is gone
                    return null;
                }).then(Mono.error(fenced)));
    }

    @Override
    public Mono<Integer> lockCount(RecorderId recorder) {
        if (recorder == null) {
            return invalid("recorder");
        }
        return onLoop(() -> {
            Hold hold = holds.get(FleetRecorders.parse(recorder).id());
            return Mono.just(hold == null ? 0 : hold.count); // 0 for a recorder it does not hold, known or not
        });
    }

    @Override
    public Mono<Map<RecorderId, Integer>> placesInLine() {
        return onLoop(() -> node.placesRemote(key()));
    }

    // ------------------------------------------------------------------------------------------------ withLock

    @Override
    public <T> Flux<T> withLock(RecorderId recorder, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body) {
        if (body == null) {
            return this.<T>invalid("body").flux();
        }
        return using(acquire(recorder, options), body);
    }

    @Override
    public <T> Flux<T> withLockAny(RecorderSelector selector, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body) {
        if (body == null) {
            return this.<T>invalid("body").flux();
        }
        return using(acquireAny(selector, options), body);
    }

    /**
     * Acquire, run the body, release that grant whatever happens ({@code usingWhen} subscribes the acquire directly,
     * so the grant is never dropped between them); the body is cancelled, and the stream fails with why, when the
     * hold ends under it.
     */
    private <T> Flux<T> using(Mono<LockGrant> acquire, Function<? super LockGrant, ? extends Publisher<T>> body) {
        return Flux.usingWhen(acquire, grant -> guarded(grant, body), this::releaseQuietly,
                (grant, error) -> releaseQuietly(grant), this::releaseQuietly);
    }

    private <T> Flux<T> guarded(LockGrant grant, Function<? super LockGrant, ? extends Publisher<T>> body) {
        Throwable[] why = new Throwable[1];
        Mono<Throwable> ended = Mono.<Throwable>create(sink -> node.onLoop(() -> {
            Hold hold = holds.get(grant.recorder());
            if (hold == null || !hold.grants.contains(grant)) {
                sink.success(new LockNotHeldException("the hold of " + grant.recorder() + " ended before the "
                        + "body started", grant.recorder()));
                return null;
            }
            Consumer<Throwable> ender = sink::success;
            hold.enders.add(ender);
            sink.onDispose(() -> node.onLoop(() -> hold.enders.remove(ender)).subscribe(null, e -> { }));
            return null;
        }).subscribe(null, sink::error)).doOnNext(cause -> why[0] = cause);
        return Flux.defer(() -> Flux.<T>from(body.apply(grant))).takeUntilOther(ended)
                .concatWith(Mono.defer(() -> why[0] == null ? Mono.empty() : Mono.error(why[0])));
    }

    private Mono<Void> releaseQuietly(LockGrant grant) {
        return release(grant).onErrorResume(e -> Mono.empty()).then();
    }

    // ----------------------------------------------------------------------------------------------- the rest

    @Override
    public Flux<BurnProgress> burn(LockGrant grant, BurnRequest request) {
        return Flux.error(new BurnNotSupportedException("a fleet session does not burn: burn on the recorder's own "
                + "node (its image is a file there), with a session of that node's agent",
                grant == null ? null : grant.recorder()));
    }

    @Override
    public Mono<Void> close() {
        return node.<Mono<Void>>onLoop(() -> {
            if (closed) {
                return Mono.<Void>empty(); // closing again does nothing
            }
            closed = true;
            endAll(closedError());
            node.unwatchHolds(key());
            agent.closed(this);
            return node.closeRemote(key());
        }).flatMap(Function.identity());
    }

    /** Ends every hold with {@code why} (the session or the fleet agent closes). Fleet loop. */
    void endAll(Throwable why) {
        for (RecorderId recorder : List.copyOf(holds.keySet())) {
            ended(recorder, why);
        }
    }

    /** Closes the session because the fleet agent closes: its bodies fail with {@code why}. */
    Mono<Void> close(Throwable why) {
        return node.<Mono<Void>>onLoop(() -> {
            if (!closed) {
                closedBy = why;
                endAll(why);
            }
            return close();
        }).flatMap(Function.identity());
    }

    /** The hold of {@code recorder}, whichever it is now, ended: its bodies learn {@code why}. Fleet loop. */
    void ended(RecorderId recorder, Throwable why) {
        Hold hold = holds.get(recorder);
        if (hold != null) {
            ended(recorder, hold, why);
        }
    }

    /** {@code hold} of {@code recorder} ended (nothing when a later hold replaced it). Fleet loop. */
    private void ended(RecorderId recorder, Hold hold, Throwable why) {
        if (!holds.remove(recorder, hold)) {
            return;
        }
        List<Consumer<Throwable>> told = List.copyOf(hold.enders);
        hold.enders.clear();
        told.forEach(ender -> ender.accept(why));
    }

    /** The owning node {@code owner} fenced this session's holds there. Fleet loop. */
    void fencedOn(String owner) {
        for (RecorderId recorder : List.copyOf(holds.keySet())) {
            if (FleetRecorders.parse(recorder).node().equals(owner)) {
                ended(recorder, new LockNotHeldException("the hold of " + recorder + " is gone: its session on "
                        + owner + " was not renewed in time (fenced)", recorder));
            }
        }
    }

    /** The recorder's node removed it. Fleet loop. */
    void removed(RecorderId recorder) {
        ended(recorder, new RecorderRemovedException("the recorder " + recorder + " was removed from its node",
                recorder));
    }

    /**
     * The owning node {@code lost} became unreachable (it left, died, or a partition): this session's holds there end
     * (their bodies fail with {@code RecorderRemovedException}, the counts here are 0), and this node stops renewing
     * them, so the owning node, if it is alive, frees the drives when their lease runs out. Fleet loop.
     */
    void nodeLost(String lost, @Nullable String reason) {
        boolean held = false;
        for (RecorderId recorder : List.copyOf(holds.keySet())) {
            if (FleetRecorders.parse(recorder).node().equals(lost)) {
                held = true;
                ended(recorder, new RecorderRemovedException("the node of " + recorder + " is unreachable"
                        + (reason == null ? "" : ": " + reason), recorder));
            }
        }
        if (held) {
            node.abandonHolds(key(), lost);
        }
    }

    /** Starts watching this session's holds for fencing. Fleet loop. */
    void watch() {
        node.watchHolds(key(), this::fencedOn);
    }

    private SessionClosedException closedError() {
        return new SessionClosedException("fleet session " + id + " (" + clientName + ") is closed", null);
    }

    /** Runs {@code work} on the fleet's loop, after checking the session is open; its Mono's signals. */
    private <T> Mono<T> onLoop(Supplier<Mono<T>> work) {
        return node.onLoop(() -> {
            if (closed) {
                throw closedError();
            }
            return work.get();
        }).flatMap(Function.identity());
    }

    private <T> Mono<T> invalid(String what) {
        return node.onLoop(() -> {
            throw new InvalidArgumentException(what + " must not be null");
        });
    }
}
