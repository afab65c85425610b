package io.discagent.service.fleet;

import io.discagent.agent.DiscAgent;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.RecorderException;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.service.ContextHop;
import io.discagent.service.events.EventJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * This service's membership of a fleet: it publishes its recorders (with their lock state and medium) to every
 * member whenever they change and every {@link FleetConfig#heartbeat()}, and keeps what the others published, so any
 * member answers {@link #view()}: every recorder of every node with its node and reachability.
 *
 * <p>Threading: all state lives on the one event loop of the fleet's own clustered Vert.x ({@link ClusteredVertx});
 * the agent's answers and the scheduler's ticks hop onto it. Timing: the heartbeat and the staleness check run on the
 * injected Reactor {@link Scheduler}.
 *
 * <p>A node is shown unreachable when Hazelcast removes its member (no heartbeat for
 * {@link ClusteredVertx#FAILURE_DETECTION_SECONDS} s) or when nothing came from it for
 * {@link FleetConfig#staleAfter()}, whichever is first; its recorders stay listed, marked unreachable, until it
 * publishes again, with its real state. Each node's snapshots carry a sequence number of that node's incarnation
 * (a restarted node starts a new one, stamped with its start on that node's clock); a snapshot older than one already
 * seen (a lower number of the same incarnation, or an earlier incarnation) is dropped, so a node's view never goes
 * back in time, and a replayed snapshot is not believed. There is no order across nodes.
 */
public final class FleetNode {

    private static final System.Logger LOG = System.getLogger(FleetNode.class.getName());
    static final String SNAPSHOTS = "discagent.fleet.snapshots";
    /** Each node's address for remote operations on its recorders ({@link RemoteSessions}). */
    static final String NODE_PREFIX = "discagent.fleet.node.";
    /** How much longer than the requested wait a remote request may take before it fails here. */
    private static final Duration REMOTE_MARGIN = Duration.ofSeconds(10);
    /** The fence of a remote hold its owning node ended (not renewed in time): it is not renewed, its release fails. */
    private static final String LOST = "";

    private final FleetConfig config;
    private final FleetSeal seal;
    private final DiscAgent agent;
    private final Scheduler time;
    private final Vertx vertx;
    private final HazelcastClusterManager cluster;
    private final Context context;
    private final String incarnation = UUID.randomUUID().toString();
    /** When this incarnation began, on this machine's wall clock: orders a node's incarnations (not a delay). */
    private final long incarnationStarted = System.currentTimeMillis();
    private final Disposable.Composite running = Disposables.composite();

    // ---- fleet event loop only
    private final Map<String, Peer> peers = new TreeMap<>();
    private final Map<RecorderId, MediaInfo> media = new HashMap<>();
    private final java.util.Set<String> impostors = new java.util.HashSet<>();
    private JsonObject own;
    private long sequence;
    private boolean publishQueued;
    private long dropped;
    private @Nullable MessageConsumer<Object> consumer;
    private @Nullable MessageConsumer<Object> requests;
    private final RemoteSessions remoteSessions;
    private final FleetChanges changes = new FleetChanges();
    /** The fences of this node's remote holds: requesting session → owning node → fence ({@link #LOST}: fenced). */
    private final Map<String, Map<String, String>> fences = new HashMap<>();
    /** Remote acquires under way, by requesting session. */
    private final Map<String, Integer> acquiring = new HashMap<>();
    /** Remote acquires under way, by requesting session: a session that closes gives them up on the owning nodes. */
    private final Map<String, java.util.Set<Waiting>> waits = new HashMap<>();
    /** Requesting sessions closed while a remote acquire of theirs was under way: its grant is given back. */
    private final java.util.Set<String> closedWhileAcquiring = new java.util.HashSet<>();
    /** Who learns that a requesting session's hold on an owning node is gone (fenced), by session. */
    private final Map<String, java.util.function.Consumer<String>> holdLost = new HashMap<>();
    private @Nullable FleetAgent agentView;

    private FleetNode(FleetConfig config, FleetSeal seal, DiscAgent agent, Scheduler time,
            ClusteredVertx.Started started) {
        this.config = config;
        this.seal = seal;
        this.agent = agent;
        this.time = time;
        this.vertx = started.vertx();
        this.cluster = started.cluster();
        this.context = vertx.getOrCreateContext();
        this.own = snapshot(List.of());
        this.remoteSessions = new RemoteSessions(agent, context, config.node(), this::now);
    }

    /**
     * Joins the fleet of {@code config} with {@code agent}'s recorders; completes once this node's first snapshot is
     * published (the other members may not have answered yet: the view fills in as they do).
     */
    public static Mono<FleetNode> join(FleetConfig config, DiscAgent agent, Scheduler time) {
        FleetSeal seal = new FleetSeal(config.name(), config.secret());
        return Mono.fromCompletionStage(() -> ClusteredVertx.start(config, seal).toCompletionStage())
                .flatMap(started -> {
                    FleetNode node = new FleetNode(config, seal, agent, time, started);
                    return Mono.fromCompletionStage(() -> node.start().toCompletionStage()).thenReturn(node)
                            .onErrorResume(e -> Mono.fromCompletionStage(node::leave).onErrorComplete()
                                    .then(Mono.error(e)));
                });
    }

    /** This node's name in the fleet. */
    public String name() {
        return config.node();
    }

    /**
     * The fleet as a {@link io.discagent.api.RecorderAgent}, with recorder ids qualified by node ({@code node/id}):
     * code written against one agent works against the fleet ({@link FleetAgent} says what differs). One per node.
     */
    public synchronized FleetAgent agent() {
        if (agentView == null) {
            agentView = new FleetAgent(this);
        }
        return agentView;
    }

    /** Runs {@code lostOn} with the owning node's name whenever a hold of {@code session} there is fenced. Loop only. */
    void watchHolds(String session, java.util.function.Consumer<String> lostOn) {
        holdLost.put(session, lostOn);
    }

    /** Loop only. */
    void unwatchHolds(String session) {
        holdLost.remove(session);
    }

    /**
     * Where the remote acquires of {@code session} under way stand in line on their owning nodes, by qualified id
     * ({@link io.discagent.api.ClientSession#placesInLine}); a node that does not answer in time is left out.
     */
    Mono<Map<RecorderId, Integer>> placesRemote(String session) {
        return onLoop(() -> {
            java.util.Set<String> nodes = new java.util.TreeSet<>();
            waits.getOrDefault(session, java.util.Set.of()).forEach(w -> nodes.addAll(w.asked.keySet()));
            return List.copyOf(nodes);
        }).flatMapIterable(nodes -> nodes)
                .flatMap(node -> ask(node, new JsonObject().put("op", "places").put("session", session),
                        REMOTE_MARGIN).map(reply -> Map.entry(node, reply.getJsonObject("places", new JsonObject())))
                        .onErrorResume(unanswered -> Mono.empty()))
                .collect(HashMap<RecorderId, Integer>::new, (all, answer) -> answer.getValue().forEach(place ->
                        all.put(FleetRecorders.qualify(answer.getKey(), place.getKey()), (Integer) place.getValue())))
                .map(java.util.Collections::unmodifiableMap);
    }

    /** Messages dropped since the start: not sealed with the fleet's secret, malformed, or older than one seen. */
    public long droppedMessages() {
        CompletableFuture<Long> answer = new CompletableFuture<>();
        context.runOnContext(v -> answer.complete(dropped));
        return answer.orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Every recorder of every node the fleet knows, this node's first; answered on the fleet's event loop. */
    public Mono<FleetView> view() {
        return onLoop(this::currentView);
    }

    /**
     * The fleet's changes as they reach this node: first {@code {"type":"snapshot","view":...}} (the view as
     * {@link #view()} answers it), then one event per change, each naming its {@code node} and carrying that node's
     * {@code incarnation} and the {@code sequence} of the snapshot that showed it: {@code arrived}, {@code removed},
     * {@code lock} and {@code media} (with the {@code recorder} as its node lists it), {@code reachable} and
     * {@code unreachable} (with a {@code reason}). Each node's events come in that node's order (its sequence never
     * goes down within an incarnation); there is no order across nodes. Signalled on the fleet's event loop; the events
     * are shared by every subscriber and must not be changed. Ends with an error when the node leaves the fleet.
     */
    public reactor.core.publisher.Flux<JsonObject> events() {
        return reactor.core.publisher.Flux.create(sink -> {
            try {
                context.runOnContext(v -> {
                    if (!sink.isCancelled()) {
                        changes.watch(sink, currentView());
                        sink.onDispose(() -> context.runOnContext(gone -> changes.unwatch(sink)));
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                sink.error(new io.discagent.api.error.RequestCancelledException("fleet node " + config.node()
                        + " has left the fleet", null));
            }
        });
    }

    /**
     * Leaves the fleet: stops publishing, then closes the fleet's Vert.x (and its Hazelcast member). Completes off the
     * fleet's event loop, which is gone by then.
     */
    public CompletableFuture<Void> leave() {
        running.dispose();
        CompletableFuture<Void> unregistered = new CompletableFuture<>();
        // the remote holds of this node's clients end first (each owning node releases them at once, not after
        // their lease), then this node stops answering
        onLoop(() -> List.copyOf(fences.keySet())).flatMapIterable(sessions -> sessions)
                .flatMap(this::closeRemote).then().timeout(Duration.ofSeconds(3)).onErrorComplete()
                .subscribe(null, null, () -> context.runOnContext(v -> stopAnswering(unregistered)));
        return unregistered.completeOnTimeout(null, 5, TimeUnit.SECONDS)
                .thenCompose(v -> vertx.close().toCompletionStage());
    }

    /** Ends the remote sessions this node keeps for others' clients and unregisters its consumers. */
    private void stopAnswering(CompletableFuture<Void> unregistered) {
        remoteSessions.closeAll();
        changes.end(new io.discagent.api.error.RequestCancelledException("fleet node " + config.node()
                + " has left the fleet", null));
        MessageConsumer<Object> c = consumer;
        MessageConsumer<Object> r = requests;
        Future<Void> first = c == null ? Future.succeededFuture() : c.unregister();
        Future<Void> second = r == null ? Future.succeededFuture() : r.unregister();
        Future.join(first, second).onComplete(done -> unregistered.complete(null));
    }


    // ------------------------------------------------------------------------------------------------ remote holds

    /**
     * Acquires {@code recorder} of node {@code node} for the client {@code clientName} of this node, whose session
     * here is {@code session}: the owning node opens a session of its agent for it (named {@code "this-node:
     * clientName"}), which this node keeps alive while {@code session} holds anything there, and takes one count in
     * it, waiting up to {@code wait}. Fails with the owning node's typed error; with {@code RecorderRemovedException}
     * when {@code node} does not answer.
     */
    public Mono<RemoteGrant> acquireRemote(String node, RecorderId recorder, String session, String clientName,
            Duration wait) {
        return Mono.create(sink -> {
            Runnable abandon = acquireRemote(node, recorder, session, clientName, wait, (grant, error) -> {
                if (grant != null) {
                    sink.success(grant);
                } else {
                    sink.error(error);
                }
            });
            sink.onCancel(abandon::run);
        });
    }

    /**
     * {@link #acquireRemote(String, RecorderId, String, String, Duration)} for a caller that may give up (an HTTP
     * client hanging up): {@code done} runs once, on the fleet's loop, with the grant or the failure, unless the
     * returned action has run first; then the owning node stops waiting for it, and a grant that was already on its
     * way is given back at once. Whether the caller gave up and whether the grant is delivered are decided on the
     * fleet's loop, so a grant is never lost between the two.
     *
     * @return what gives up the request
     */
    public Runnable acquireRemote(String node, RecorderId recorder, String session, String clientName,
            Duration wait, BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> done) {
        Waiting request = new Waiting(session, done);
        context.runOnContext(start -> request.ask(node, acquireRequest("acquire", session, clientName, wait)
                .put("recorder", recorder.value()), wait));
        return () -> context.runOnContext(v -> request.giveUp());
    }

    /**
     * Acquires the first recorder of {@code pool} on any node of the fleet that reaches the request, for the client
     * {@code clientName} of this node's {@code session}: each reachable node with a recorder of the pool is asked at
     * once (its own pool acquire, in its FIFOs), the first grant wins, the other nodes stop waiting, and a grant that
     * races with the winner is given back at once. This node's own recorders take part like any other node's (through
     * a session of its agent named for the client, as a remote hold). Fails when no node answers with a grant within
     * {@code wait}: with the most telling of the nodes' errors ({@code RecorderRemovedException} when no reachable node
     * has a recorder of the pool). {@code done} and the returned action as for
     * {@link #acquireRemote(String, RecorderId, String, String, Duration, BiConsumer)}.
     *
     * @return what gives up the request
     */
    public Runnable acquireAnyRemote(FleetPool pool, String session, String clientName, Duration wait,
            BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> done) {
        Waiting request = new Waiting(session, done);
        context.runOnContext(start -> {
            Map<String, @Nullable JsonArray> candidates = candidates(pool);
            if (candidates.isEmpty()) {
                request.fail(new io.discagent.api.error.RecorderRemovedException("no reachable node of fleet "
                        + config.name() + " has a recorder of the pool " + pool, null));
                return;
            }
            candidates.forEach((node, ids) -> request.ask(node, acquireRequest("acquireAny", session, clientName,
                    wait).put("recorders", ids).put("minFreeBytes", pool.minFreeBytes()), wait));
        });
        return () -> context.runOnContext(v -> request.giveUp());
    }

    /** The nodes to ask for {@code pool}: each reachable node with a recorder of it, with its ids (null: all). */
    private Map<String, @Nullable JsonArray> candidates(FleetPool pool) {
        Map<String, @Nullable JsonArray> candidates = new TreeMap<>();
        consider(candidates, pool, config.node(), own.getJsonArray("recorders"));
        for (Peer peer : peers.values()) {
            if (peer.reachable) {
                consider(candidates, pool, peer.node, peer.recorders);
            }
        }
        return candidates;
    }

    private static void consider(Map<String, @Nullable JsonArray> candidates, FleetPool pool, String node,
            JsonArray recorders) {
        JsonArray ids = new JsonArray();
        for (Object item : recorders) {
            String id = ((JsonObject) item).getString("id");
            if (pool.includes(node, id)) {
                ids.add(id);
            }
        }
        if (!ids.isEmpty()) {
            candidates.put(node, pool.recorders() == null ? null : ids);
        }
    }

    private JsonObject acquireRequest(String op, String session, String clientName, Duration wait) {
        return new JsonObject().put("op", op).put("session", session).put("client", clientName)
                .put("waitMillis", wait.isZero() || wait.isNegative() ? 0 : millis(wait)).put("ttlMillis", remoteTtl().toMillis())
                .put("ticket", UUID.randomUUID().toString());
    }

    /**
     * One acquire of a client of this node, sent to one or more owning nodes: the first grant is delivered (once),
     * every later one given back; when all failed, the most telling failure is. Fleet loop only.
     */
    private final class Waiting {
        private final String session;
        private final BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> done;
        /** The owning nodes still to answer, with the ticket that gives up the request there. */
        private final Map<String, String> asked = new HashMap<>();
        private boolean decided;
        private @Nullable Throwable failure;

        Waiting(String session, BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> done) {
            this.session = session;
            this.done = done;
        }

        void ask(String node, JsonObject request, Duration wait) {
            asked.put(node, request.getString("ticket"));
            waits.computeIfAbsent(session, k -> new java.util.HashSet<>()).add(this);
            String fence = fences.getOrDefault(session, Map.of()).get(node);
            if (fence != null && !fence.equals(LOST)) {
                request.put("fence", fence); // a lost one is not sent: the owning node opens a fresh session
            }
            acquiring.merge(session, 1, Integer::sum);
            FleetNode.this.ask(node, request, Duration.ofMillis(Math.min(Long.MAX_VALUE
                    - REMOTE_MARGIN.toMillis(), millis(wait))).plus(REMOTE_MARGIN)).subscribe(reply -> context.runOnContext(v -> {
                answered(node);
                if (acquired(session)) { // closed here meanwhile: the session there is closed too, its grant with it
                    FleetNode.this.ask(node, new JsonObject().put("op", "close").put("session", session)
                            .put("fence", reply.getString("fence")), REMOTE_MARGIN).subscribe(r -> { }, e -> { });
                    failed(sessionClosed());
                    return;
                }
                // the fence is kept even when the grant is given back: the session there lives on (renewed, closed
                // with the requesting session)
                fences.computeIfAbsent(session, k -> new HashMap<>()).put(node, reply.getString("fence"));
                RecorderId recorder = RecorderId.of(reply.getString("recorder"));
                if (decided) {
                    releaseRemote(node, recorder, session).subscribe(count -> { }, e -> LOG.log(Level.DEBUG,
                            "giving back a remote grant nobody took failed: " + e.getMessage()));
                    return;
                }
                decided = true;
                cancelOthers();
                done.accept(new RemoteGrant(node, recorder, reply.getInteger("lockCount"), reply.getLong("holdId")),
                        null);
            }), error -> context.runOnContext(v -> {
                answered(node);
                failed(acquired(session) ? sessionClosed() : error); // closed here: given up there, say why
            }));
        }

        private RecorderException sessionClosed() {
            return new io.discagent.api.error.SessionClosedException("session " + session
                    + " closed while its remote acquire was under way", null);
        }

        private void answered(String node) {
            asked.remove(node);
            if (asked.isEmpty()) {
                waits.computeIfPresent(session, (k, set) -> set.remove(this) && set.isEmpty() ? null : set);
            }
        }

        /** The caller gave up: the owning nodes stop waiting; grants on their way are given back. */
        void giveUp() {
            if (!decided) {
                decided = true;
                cancelOthers();
            }
        }

        /** The requesting session closed: the owning nodes stop waiting, and their answers end the request. */
        void closing() {
            cancelOthers();
        }

        void fail(Throwable error) {
            decided = true;
            done.accept(null, error);
        }

        private void failed(Throwable error) {
            if (failure == null || telling(error) > telling(failure)) {
                failure = error;
            }
            if (!decided && asked.isEmpty()) {
                fail(failure);
            }
        }

        /**
         * How much a node's failure tells the client, of several: a holder (it may wait or retry), then a wait that ran
         * out, then no matching medium (it must change discs), then anything else, and last a node that is not there.
         */
        private static int telling(Throwable error) {
            if (error instanceof io.discagent.api.error.RecorderLockedException) {
                return 4;
            } else if (error instanceof io.discagent.api.error.AcquireTimeoutException) {
                return 3;
            } else if (error instanceof io.discagent.api.error.MediaNotWritableException) {
                return 2;
            } else if (error instanceof io.discagent.api.error.RecorderRemovedException) {
                return 0;
            }
            return 1;
        }

        private void cancelOthers() {
            asked.forEach((node, ticket) -> FleetNode.this.ask(node, new JsonObject().put("op", "cancel")
                    .put("ticket", ticket), REMOTE_MARGIN).subscribe(r -> { }, e -> LOG.log(Level.DEBUG,
                    "giving up a remote acquire on " + node + " failed: " + e.getMessage())));
        }
    }

    /** A remote acquire of {@code session} has its answer; whether the session was closed here meanwhile. */
    private boolean acquired(String session) {
        int left = acquiring.merge(session, -1, Integer::sum);
        boolean closed = closedWhileAcquiring.contains(session);
        if (left <= 0) {
            acquiring.remove(session);
            closedWhileAcquiring.remove(session);
        }
        return closed;
    }

    /**
     * Releases one count of {@code session}'s remote hold of {@code recorder} on {@code node}; fails with
     * {@code LockNotHeldException} when that hold is gone (its session there expired or was closed: fenced).
     */
    public Mono<Integer> releaseRemote(String node, RecorderId recorder, String session) {
        return onLoop(() -> fences.getOrDefault(session, Map.of()).get(node)).flatMap(fence -> fence.equals(LOST)
                ? Mono.error(new io.discagent.api.error.LockNotHeldException("the remote hold on " + node + "/"
                        + recorder.value() + " is gone: its session on " + node + " was not renewed in time "
                        + "(fenced)", recorder)) : ask(node,
                new JsonObject().put("op", "release").put("session", session).put("recorder", recorder.value())
                        .put("fence", fence), REMOTE_MARGIN))
                .map(reply -> reply.getInteger("lockCount"))
                .switchIfEmpty(onLoop(() -> knows(node, recorder)).flatMap(known -> Mono.error(known
                        ? new io.discagent.api.error.LockNotHeldException("session " + session + " holds nothing on "
                                + node, recorder)
                        : new io.discagent.api.error.RecorderRemovedException("no recorder " + node + "/"
                                + recorder.value() + " in the fleet", recorder))));
    }

    /** Whether the fleet view has {@code recorder} on {@code node} (this node's own included). Fleet loop only. */
    boolean knows(String node, RecorderId recorder) {
        JsonArray recorders = node.equals(config.node()) ? own.getJsonArray("recorders")
                : peers.containsKey(node) ? peers.get(node).recorders : new JsonArray();
        for (Object item : recorders) {
            if (recorder.value().equals(((JsonObject) item).getString("id"))) {
                return true;
            }
        }
        return false;
    }

    /** Ends every remote hold of {@code session} (its lease here closed): each owning node closes its session. */
    public Mono<Void> closeRemote(String session) {
        return onLoop(() -> {
            if (acquiring.containsKey(session)) {
                closedWhileAcquiring.add(session); // its answer closes the session it opened there
                List.copyOf(waits.getOrDefault(session, java.util.Set.of())).forEach(Waiting::closing);
            }
            return fences.remove(session);
        }).flatMapIterable(Map::entrySet)
                .filter(entry -> !entry.getValue().equals(LOST))
                .flatMap(entry -> ask(entry.getKey(), new JsonObject().put("op", "close").put("session", session)
                        .put("fence", entry.getValue()), REMOTE_MARGIN).onErrorResume(e -> Mono.empty()))
                .then();
    }

    /**
     * Gives up {@code session}'s hold on {@code owner}, which became unreachable: no more renewals (the owning node, if
     * alive, closes it when its lease runs out) and, in case it is reachable after all, a close. Fleet loop only.
     */
    void abandonHolds(String session, String owner) {
        Map<String, String> held = fences.get(session);
        String fence = held == null ? null : held.remove(owner);
        if (held != null && held.isEmpty()) {
            fences.remove(session);
        }
        if (fence != null && !fence.equals(LOST)) {
            ask(owner, new JsonObject().put("op", "close").put("session", session).put("fence", fence), REMOTE_MARGIN)
                    .subscribe(r -> { }, e -> LOG.log(Level.DEBUG, "closing an abandoned hold on " + owner
                            + " failed: " + e.getMessage()));
        }
    }

    /** How long an owning node keeps a remote session that is not renewed: twice the stale limit. */
    Duration remoteTtl() {
        return config.staleAfter().multipliedBy(2);
    }

    /**
     * Renews this node's remote sessions on each owning node; one the owning node names gone is marked lost, unless
     * its fence changed meanwhile (the session there ended and a later acquire opened a fresh one).
     */
    private void renewRemoteHolds() {
        Map<String, Map<String, String>> byNode = new HashMap<>(); // owning node -> session -> fence renewed
        fences.forEach((session, nodes) -> nodes.forEach((node, fence) -> {
            if (!fence.equals(LOST)) {
                byNode.computeIfAbsent(node, k -> new HashMap<>()).put(session, fence);
            }
        }));
        // a session whose acquire waits on a node is renewed there too (its fence comes with its first grant), so a
        // wait longer than the lease does not expire it
        Map<String, java.util.Set<String>> waitingOn = new HashMap<>(); // owning node -> sessions waiting there
        waits.forEach((session, requests) -> requests.forEach(request -> request.asked.keySet().forEach(node ->
                waitingOn.computeIfAbsent(node, k -> new java.util.TreeSet<>()).add(session))));
        waitingOn.keySet().forEach(node -> byNode.computeIfAbsent(node, k -> new HashMap<>()));
        byNode.forEach((node, renewed) -> {
            JsonArray sessions = new JsonArray();
            renewed.forEach((session, fence) -> sessions.add(new JsonObject().put("session", session)
                    .put("fence", fence)));
            JsonArray waiting = new JsonArray(List.copyOf(waitingOn.getOrDefault(node, java.util.Set.of())));
            ask(node, new JsonObject().put("op", "renew").put("sessions", sessions).put("waiting", waiting),
                    REMOTE_MARGIN)
                    .subscribe(reply -> context.runOnContext(v -> {
                        for (Object lost : reply.getJsonArray("lost")) {
                            Map<String, String> nodes = fences.get((String) lost);
                            String judged = renewed.get((String) lost);
                            if (nodes != null && judged != null && judged.equals(nodes.get(node))) {
                                LOG.log(Level.INFO, "the remote hold of session " + lost + " on " + node + " is gone");
                                nodes.put(node, LOST); // kept out of renewals; its release is refused
                                java.util.function.Consumer<String> told = holdLost.get((String) lost);
                                if (told != null) {
                                    told.accept(node);
                                }
                            }
                        }
                    }), e -> LOG.log(Level.DEBUG, "renewing remote holds on " + node + " failed: " + e.getMessage()));
        });
    }

    /** A sealed request to {@code node}; its reply, or its typed failure. */
    private Mono<JsonObject> ask(String node, JsonObject request, Duration timeout) {
        request.put("from", config.node());
        return Mono.<JsonObject>create(sink -> vertx.eventBus().request(NODE_PREFIX + node, seal.seal(request),
                new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(millis(timeout)))
                .onComplete(result -> {
                    if (result.failed()) {
                        sink.error(unanswered(node, result.cause(), timeout));
                        return;
                    }
                    JsonObject reply = seal.open(result.result().body());
                    if (reply == null) {
                        sink.error(new io.discagent.api.error.InvalidArgumentException("fleet node " + node
                                + " answered with a message not sealed for this fleet"));
                    } else if (!reply.getBoolean("ok", false)) {
                        sink.error(io.discagent.api.error.RecorderExceptions.create(
                                io.discagent.api.error.HResult.of(reply.getInteger("hresult")),
                                reply.getString("message"), null, reply.getString("owner"), null, null));
                    } else {
                        sink.success(reply);
                    }
                }));
    }

    /** {@code duration} in milliseconds, at least 1 and at most {@code Long.MAX_VALUE} (a wait without end). */
    static long millis(Duration duration) {
        if (duration.getSeconds() >= Long.MAX_VALUE / 1000) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, duration.toMillis());
    }

    /** Why a request to {@code node} got no answer, typed: no such node (404), or no answer in time (503). */
    private static RecorderException unanswered(String node, Throwable cause, Duration timeout) {
        if (cause instanceof io.vertx.core.eventbus.ReplyException reply
                && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
            return new io.discagent.api.error.RecorderRemovedException("no fleet node " + node + " is reachable",
                    null);
        }
        if (cause instanceof io.vertx.core.eventbus.ReplyException reply
                && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT) {
            return new io.discagent.api.error.CommandTimeoutException("fleet node " + node + " did not answer within "
                    + millis(timeout) + " ms", null);
        }
        return io.discagent.api.error.RecorderExceptions.create(io.discagent.api.error.HResult.E_FAIL, "fleet node "
                + node + " refused the request: " + cause.getMessage(), null, null, null, cause);
    }

    /** Runs {@code work} on the fleet's loop (where this node's state lives); its result, or empty for null. */
    <T> Mono<T> onLoop(java.util.function.Supplier<@Nullable T> work) {
        return Mono.create(sink -> {
            try {
                context.runOnContext(v -> {
                    try {
                        sink.success(work.get());
                    } catch (RuntimeException bug) {
                        sink.error(bug);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                sink.error(new io.discagent.api.error.RequestCancelledException("fleet node " + config.node()
                        + " has left the fleet", null));
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ fleet loop

    private Future<Void> start() {
        Promise<Void> started = Promise.promise();
        context.runOnContext(v -> {
            register();
            // after a partition heals, the side that merged into the other has lost its event-bus registrations in
            // the cluster's map: they are made again
            cluster.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
                if (event.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.MERGED) {
                    context.runOnContext(ignored -> registerAgain());
                }
            });
            cluster.getHazelcastInstance().getCluster().addMembershipListener(new com.hazelcast.cluster
                    .MembershipListener() {
                @Override
                public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
                    context.runOnContext(ignored -> publishSoon()); // a new member learns this node at once
                }

                @Override
                public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                    String member = event.getMember().getUuid().toString();
                    context.runOnContext(ignored -> memberLeft(member));
                }
            });
            consumer.completion().onComplete(registered -> {
                if (registered.failed()) {
                    started.fail(registered.cause());
                    return;
                }
                running.add(agent.events().subscribe(this::eventSeen, e -> LOG.log(Level.WARNING,
                        "the fleet node stopped following the agent's events", e)));
                long every = config.heartbeat().toMillis();
                running.add(time.schedulePeriodically(() -> context.runOnContext(ignored -> tick()), every, every,
                        TimeUnit.MILLISECONDS));
                readMediaThenPublish(started);
            });
        });
        return started.future();
    }

    /** Registers this node's consumers: the fleet's snapshots, and the requests for its own recorders. */
    private void register() {
        consumer = vertx.eventBus().consumer(SNAPSHOTS, message -> received(message.body()));
        requests = vertx.eventBus().consumer(NODE_PREFIX + config.node(), message -> {
            JsonObject request = seal.open(message.body());
            if (request == null) {
                dropped++;
                message.fail(403, "not sealed for this fleet");
                return;
            }
            remoteSessions.handle(request, answer -> message.reply(seal.seal(answer)));
        });
    }

    private void registerAgain() {
        MessageConsumer<Object> c = consumer;
        MessageConsumer<Object> r = requests;
        if (c == null || r == null || running.isDisposed()) {
            return;
        }
        LOG.log(Level.INFO, "fleet node " + config.node() + " merged into the cluster again: registering again");
        Future.join(c.unregister(), r.unregister()).onComplete(done -> {
            if (!running.isDisposed()) {
                register();
                publishSoon();
            }
        });
    }

    /** The first snapshot carries every recorder's medium: read once here, then kept from media events. */
    private void readMediaThenPublish(Promise<Void> started) {
        Mono<List<RecorderInfo>> recorders = agent.recorders();
        ContextHop.subscribe(context, recorders.flatMapIterable(list -> list)
                .flatMap(info -> agent.media(info.id()).map(m -> Map.entry(info.id(), m)).onErrorResume(e -> Mono
                        .empty()))
                .collectList(), (read, error) -> {
                    if (read != null) {
                        read.forEach(entry -> media.putIfAbsent(entry.getKey(), entry.getValue()));
                    }
                    publish(started);
                });
    }

    private void eventSeen(RecorderEvent event) {
        if (event instanceof MediaChangedEvent changed) {
            context.runOnContext(v -> {
                if (changed.media() != null) {
                    media.put(changed.recorder(), changed.media());
                } else {
                    media.remove(changed.recorder());
                }
                publishSoon();
            });
        } else if (event instanceof LockTransition || event instanceof DeviceEvent) {
            context.runOnContext(v -> publishSoon());
        }
    }

    /** Publishes a snapshot after the changes already queued on the loop (a burst of events makes one snapshot). */
    private void publishSoon() {
        if (!publishQueued) {
            publishQueued = true;
            context.runOnContext(v -> {
                publishQueued = false;
                publish(null);
            });
        }
    }

    private void tick() {
        publish(null);
        remoteSessions.expire();
        renewRemoteHolds();
        long now = now();
        for (Peer peer : peers.values()) {
            if (peer.reachable && now - peer.lastSeenMillis > config.staleAfter().toMillis()) {
                peer.reachable = false;
                String why = "nothing from it for " + (now - peer.lastSeenMillis) + " ms";
                LOG.log(Level.INFO, "fleet node " + peer.node + " is unreachable: " + why);
                changes.reachability(peer.node, String.valueOf(peer.incarnation), peer.sequence, false, why);
            }
        }
    }

    private void publish(@Nullable Promise<Void> done) {
        ContextHop.subscribe(context, agent.recorders(), (recorders, error) -> {
            if (recorders != null) {
                JsonArray before = own.getJsonArray("recorders");
                own = snapshot(recorders);
                changes.snapshot(config.node(), incarnation, sequence, before, own.getJsonArray("recorders"));
                vertx.eventBus().publish(SNAPSHOTS, seal.seal(own));
            } else {
                LOG.log(Level.DEBUG, "no fleet snapshot: the agent did not list its recorders: " + error);
            }
            if (done != null) {
                done.tryComplete();
            }
        });
    }

    private JsonObject snapshot(List<RecorderInfo> recorders) {
        JsonArray list = new JsonArray();
        List<RecorderInfo> sorted = new java.util.ArrayList<>(recorders);
        sorted.sort(java.util.Comparator.comparing(info -> info.id().value()));
        for (RecorderInfo info : sorted) {
            MediaInfo m = media.get(info.id());
            list.add(EventJson.recorder(info).put("media", m == null ? null : EventJson.media(m)));
        }
        return new JsonObject()
                .put("node", config.node())
                .put("incarnation", incarnation)
                .put("started", incarnationStarted)
                .put("member", cluster.getNodeId())
                .put("sequence", ++sequence)
                .put("recorders", list);
    }

    private void received(Object body) {
        JsonObject message = seal.open(body);
        if (message == null || !(message.getValue("node") instanceof String node)
                || !(message.getValue("incarnation") instanceof String from)
                || !(message.getValue("sequence") instanceof Number seq)
                || !(message.getValue("started") instanceof Number started)
                || !(message.getValue("recorders") instanceof JsonArray recorders) || !wellFormed(recorders)) {
            dropped++;
            return;
        }
        if (node.equals(config.node())) {
            if (!from.equals(incarnation)) {
                dropped++;
                if (impostors.add(from)) { // once per other member, not at every heartbeat
                    LOG.log(Level.WARNING, "another member calls itself " + node + " in fleet " + config.name()
                        + ": its snapshots are ignored here; give each member its own --node");
                }
            }
            return;
        }
        Peer peer = peers.computeIfAbsent(node, Peer::new);
        boolean sameIncarnation = from.equals(peer.incarnation);
        if (sameIncarnation ? seq.longValue() <= peer.sequence : started.longValue() < peer.started) {
            dropped++; // older than what this node already showed: a late or replayed snapshot, an earlier incarnation
            if (!sameIncarnation && impostors.add(from)) {
                LOG.log(Level.WARNING, "snapshots of fleet node " + node + " from an earlier incarnation are ignored: "
                        + "two members call themselves " + node + " (give each its own --node), or it restarted");
            }
            return;
        }
        JsonArray before = peer.recorders;
        peer.incarnation = from;
        peer.started = started.longValue();
        peer.sequence = seq.longValue();
        peer.member = message.getString("member");
        peer.recorders = recorders;
        peer.lastSeenMillis = now();
        if (!peer.reachable) {
            LOG.log(Level.INFO, "fleet node " + node + " is reachable");
            peer.reachable = true;
            changes.reachability(node, from, peer.sequence, true, "it published its recorders");
        }
        changes.snapshot(node, from, peer.sequence, before, recorders);
    }

    /** Whether every recorder of a snapshot has the fields the view reads. */
    private static boolean wellFormed(JsonArray recorders) {
        for (Object item : recorders) {
            if (!(item instanceof JsonObject recorder) || !(recorder.getValue("id") instanceof String)
                    || !(recorder.getValue("lock") instanceof JsonObject)) {
                return false;
            }
        }
        return true;
    }

    private void memberLeft(String member) {
        for (Peer peer : peers.values()) {
            if (member.equals(peer.member) && peer.reachable) {
                peer.reachable = false;
                LOG.log(Level.INFO, "fleet node " + peer.node + " left the cluster");
                changes.reachability(peer.node, String.valueOf(peer.incarnation), peer.sequence, false,
                        "it left the cluster");
            }
        }
    }

    /** The view now. Fleet loop only. */
    FleetView viewNow() {
        return currentView();
    }

    private FleetView currentView() {
        long now = now();
        List<FleetView.Node> nodes = new java.util.ArrayList<>();
        List<FleetView.Recorder> recorders = new java.util.ArrayList<>();
        nodes.add(new FleetView.Node(config.node(), true, true, 0, own.getJsonArray("recorders").size()));
        add(recorders, config.node(), true, own.getJsonArray("recorders"));
        for (Peer peer : peers.values()) {
            nodes.add(new FleetView.Node(peer.node, false, peer.reachable, Math.max(0, now - peer.lastSeenMillis),
                    peer.recorders.size()));
            add(recorders, peer.node, peer.reachable, peer.recorders);
        }
        return new FleetView(config.name(), config.node(), nodes, recorders);
    }

    private static void add(List<FleetView.Recorder> into, String node, boolean reachable, JsonArray recorders) {
        for (int i = 0; i < recorders.size(); i++) {
            into.add(new FleetView.Recorder(node, reachable, recorders.getJsonObject(i)));
        }
    }

    private long now() {
        return time.now(TimeUnit.MILLISECONDS);
    }

    /** What this node knows of another. Fleet loop only. */
    private static final class Peer {
        final String node;
        @Nullable String incarnation;
        @Nullable String member;
        long sequence;
        long started = Long.MIN_VALUE;
        long lastSeenMillis;
        boolean reachable;
        JsonArray recorders = new JsonArray();

        Peer(String node) {
            this.node = node;
        }
    }
}
