package io.discagent.service.fleet;

import io.discagent.api.ClientNames;
import io.discagent.api.ClientSession;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.TimeoutEvent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The fleet as a {@link RecorderAgent} ({@link FleetNode#agent()}): every recorder of every reachable node, its id
 * qualified by its node ({@code node-b/sim-0}), and sessions whose acquires are routed to the owning node, whose agent
 * owns the lock (a remote hold, kept alive by this node and fenced by the owning node). Code written against one agent
 * works against the fleet, with these differences:
 * <ul>
 *   <li><b>What it shows is what the nodes published</b>: {@link #recorders()}, {@link #media},
 *       {@link #exclusiveAccessOwner} and the streams read the fleet view (at most one heartbeat old for another
 *       node); recorders of unreachable nodes are left out ({@link FleetNode#view()} lists them, marked). A recorder
 *       held on another node is held by a session named {@code node/owner} there.</li>
 *   <li><b>Streams keep each node's order only</b>: {@link RecorderEvent#sequence()} is the sequence of the owning
 *       node's snapshot that showed the change (0 in the first state sent to a subscriber); there is no order across
 *       nodes. Lock causes are read from the change ({@code ACQUIRED}, {@code RELEASED}, {@code EXTERNAL_ACQUIRED},
 *       {@code EXTERNAL_RELEASED}). A node that becomes unreachable shows as the removal of its recorders, its return
 *       as their arrival. {@link #timeouts()} and {@link #burnEvents()} carry nothing (timeouts and burns stay on
 *       their node's own streams) and complete when this agent closes.</li>
 *   <li><b>Acquires</b> honour the wait of their options; {@code force} and the retry policy are the owning node's
 *       defaults. A pool's medium condition ({@link io.discagent.api.RecorderSelector#withMedium}) is tested on the
 *       media the nodes last published, when the request starts. A hold ends, failing a {@code withLock} body with
 *       {@link io.discagent.api.error.LockNotHeldException}, when its owning node fenced it (its lease there ran out,
 *       a partition); with {@link io.discagent.api.error.RecorderRemovedException} when its node removed the
 *       recorder or became unreachable (left the fleet, died, or a partition: this node then stops renewing the hold,
 *       so the owning node, if alive, frees the drive when the lease runs out; the session's count there is 0). A session does not burn ({@link io.discagent.api.error.BurnNotSupportedException}): burn on the
 *       recorder's own node.</li>
 *   <li><b>Delivery</b>: a grant is the fleet's until the subscriber of the acquire's own {@code Mono} has taken
 *       it: a cancellation that comes first gives the request up (a grant on its way is given back to its node), and
 *       one from another thread that meets the grant on its way into {@code Mono.subscribe(consumer)},
 *       {@code block(Duration)} or {@code toFuture()}, or comes after it (they drop it), releases it. Once an
 *       operator below took it, the grant is the subscriber's, whatever operators do with it downstream (the fleet
 *       agent does not read the chain as a local agent does): use {@code withLock}, which releases on every path, or
 *       a discard hook;
 *       {@link ClientSession#close()} releases everything on every owning node.</li>
 * </ul>
 * Every signal comes from the fleet's event loop. {@link #close()} closes this agent's sessions (their remote holds
 * end at once) and completes its streams; the node stays a member of the fleet ({@link FleetNode#leave()}).
 */
public final class FleetAgent implements RecorderAgent {

    private final FleetNode node;
    private final Sinks.Empty<Void> closing = Sinks.empty();
    /** Ends the holds of recorders their node removed, and of nodes that became unreachable. */
    private final Disposable removals;

    // ---- fleet event loop only
    private final Set<FleetSession> sessions = new HashSet<>();
    private boolean closed;

    FleetAgent(FleetNode node) {
        this.node = node;
        this.removals = node.events().subscribe(event -> {
            String type = event.getString("type");
            if ("removed".equals(type)) {
                RecorderId gone = FleetRecorders.qualify(event.getString("node"),
                        event.getJsonObject("recorder").getString("id"));
                List.copyOf(sessions).forEach(session -> session.removed(gone));
            } else if ("unreachable".equals(type)) {
                String lost = event.getString("node");
                List.copyOf(sessions).forEach(session -> session.nodeLost(lost, event.getString("reason")));
            }
        }, error -> { });
    }

    @Override
    public Mono<ClientSession> openSession(String clientName) {
        return node.onLoop(() -> {
            ClientNames.requireValid(clientName);
            if (closed) {
                throw new RequestCancelledException("the fleet agent of node " + node.name() + " is closed", null);
            }
            FleetSession session = new FleetSession(this, node, clientName);
            sessions.add(session);
            session.watch();
            return session;
        });
    }

    /** A session closed. Fleet loop. */
    void closed(FleetSession session) {
        sessions.remove(session);
    }

    @Override
    public Mono<List<RecorderInfo>> recorders() {
        return node.view().map(view -> {
            List<RecorderInfo> all = new ArrayList<>();
            for (FleetView.Recorder r : view.recorders()) {
                if (r.reachable()) {
                    all.add(FleetRecorders.info(r.node(), r.recorder()));
                }
            }
            return List.copyOf(all);
        });
    }

    @Override
    public Mono<RecorderInfo> recorder(RecorderId recorder) {
        return published(recorder).map(r -> FleetRecorders.info(r.node(), r.recorder()));
    }

    @Override
    public Mono<MediaInfo> media(RecorderId recorder) {
        return published(recorder).map(r -> {
            MediaInfo media = FleetRecorders.media(r.recorder().getJsonObject("media"));
            return media != null ? media : MediaInfo.unknown("node " + r.node() + " has not read the medium");
        });
    }

    @Override
    public Mono<String> exclusiveAccessOwner(RecorderId recorder) {
        return published(recorder).flatMap(r -> Mono.justOrEmpty(FleetRecorders.info(r.node(), r.recorder())
                .lockState().owner()));
    }

    /** The recorder as its node last published it, if that node is reachable; typed errors otherwise. */
    private Mono<FleetView.Recorder> published(RecorderId recorder) {
        if (recorder == null) {
            return node.onLoop(() -> {
                throw new InvalidArgumentException("recorder must not be null");
            });
        }
        return node.view().map(view -> {
            FleetView.Recorder found = FleetRecorders.find(view, FleetRecorders.parse(recorder));
            if (found == null || !found.reachable()) {
                throw new RecorderRemovedException(found == null ? "no recorder " + recorder + " in the fleet "
                        + view.fleet() : "the node of " + recorder + " is unreachable", recorder);
            }
            return found;
        });
    }

    @Override
    public Flux<RecorderEvent> events() {
        return Flux.defer(() -> {
            FleetEvents translation = new FleetEvents();
            return node.events().concatMapIterable(translation::translate);
        }).takeUntilOther(closed());
    }

    /** Completes on the fleet's loop once this agent is closed (at once, there, when it is closed already). */
    private Mono<Void> closed() {
        return closing.asMono().then(node.<Void>onLoop(() -> null).onErrorResume(gone -> Mono.empty()));
    }

    @Override
    public Flux<LockTransition> lockTransitions() {
        return events().ofType(LockTransition.class);
    }

    @Override
    public Flux<LockTransition> lockTransitions(RecorderId recorder) {
        return published(recorder).thenMany(lockTransitions().filter(t -> t.recorder().equals(recorder)));
    }

    @Override
    public Flux<TimeoutEvent> timeouts() {
        return closed().thenMany(Flux.empty());
    }

    @Override
    public Flux<DeviceEvent> deviceEvents() {
        return events().ofType(DeviceEvent.class);
    }

    @Override
    public Flux<BurnEvent> burnEvents() {
        return closed().thenMany(Flux.empty());
    }

    @Override
    public Mono<Void> close() {
        return node.onLoop(() -> {
            if (closed) {
                return List.<FleetSession>of();
            }
            closed = true;
            removals.dispose();
            return List.copyOf(sessions);
        }).flatMapIterable(open -> open)
                .flatMap(session -> session.close(new RequestCancelledException("the fleet agent of node "
                        + node.name() + " closed", null)).onErrorResume(e -> Mono.empty()))
                .then(Mono.<Void>fromRunnable(closing::tryEmitEmpty))
                .onErrorResume(RequestCancelledException.class, gone -> Mono.<Void>fromRunnable(closing::tryEmitEmpty));
    }
}
