package io.discagent.service.fleet;

import io.discagent.agent.DiscAgent;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * (a restarted node starts a new one); an older snapshot than one already seen is dropped, so a node's view never goes
 * back in time. There is no order across nodes.
 */
public final class FleetNode {

    private static final System.Logger LOG = System.getLogger(FleetNode.class.getName());
    static final String SNAPSHOTS = "discagent.fleet.snapshots";

    private final FleetConfig config;
    private final FleetSeal seal;
    private final DiscAgent agent;
    private final Scheduler time;
    private final Vertx vertx;
    private final HazelcastClusterManager cluster;
    private final Context context;
    private final String incarnation = UUID.randomUUID().toString();
    private final Disposable.Composite running = Disposables.composite();

    // ---- fleet event loop only
    private final Map<String, Peer> peers = new TreeMap<>();
    private final Map<RecorderId, MediaInfo> media = new HashMap<>();
    private JsonObject own;
    private long sequence;
    private boolean publishQueued;
    private long dropped;
    private @Nullable MessageConsumer<Object> consumer;

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

    /** Messages dropped since the start: not sealed with the fleet's secret, malformed, or older than one seen. */
    public long droppedMessages() {
        CompletableFuture<Long> answer = new CompletableFuture<>();
        context.runOnContext(v -> answer.complete(dropped));
        return answer.orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Every recorder of every node the fleet knows, this node's first; answered on the fleet's event loop. */
    public Mono<FleetView> view() {
        return Mono.create(sink -> context.runOnContext(v -> sink.success(currentView())));
    }

    /**
     * Leaves the fleet: stops publishing, then closes the fleet's Vert.x (and its Hazelcast member). Completes off the
     * fleet's event loop, which is gone by then.
     */
    public CompletableFuture<Void> leave() {
        running.dispose();
        CompletableFuture<Void> unregistered = new CompletableFuture<>();
        context.runOnContext(v -> {
            MessageConsumer<Object> c = consumer;
            if (c == null) {
                unregistered.complete(null);
            } else {
                c.unregister().onComplete(done -> unregistered.complete(null));
            }
        });
        return unregistered.completeOnTimeout(null, 5, TimeUnit.SECONDS)
                .thenCompose(v -> vertx.close().toCompletionStage());
    }

    // ------------------------------------------------------------------------------------------------ fleet loop

    private Future<Void> start() {
        Promise<Void> started = Promise.promise();
        context.runOnContext(v -> {
            consumer = vertx.eventBus().consumer(SNAPSHOTS, message -> received(message.body()));
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
        long now = now();
        for (Peer peer : peers.values()) {
            if (peer.reachable && now - peer.lastSeenMillis > config.staleAfter().toMillis()) {
                peer.reachable = false;
                LOG.log(Level.INFO, "fleet node " + peer.node + " is unreachable: nothing from it for "
                        + (now - peer.lastSeenMillis) + " ms");
            }
        }
    }

    private void publish(@Nullable Promise<Void> done) {
        ContextHop.subscribe(context, agent.recorders(), (recorders, error) -> {
            if (recorders != null) {
                own = snapshot(recorders);
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
                .put("member", cluster.getNodeId())
                .put("sequence", ++sequence)
                .put("recorders", list);
    }

    private void received(Object body) {
        JsonObject message = seal.open(body);
        if (message == null || !(message.getValue("node") instanceof String node)
                || !(message.getValue("incarnation") instanceof String from)
                || !(message.getValue("sequence") instanceof Number seq)
                || !(message.getValue("recorders") instanceof JsonArray recorders)) {
            dropped++;
            return;
        }
        if (node.equals(config.node())) {
            if (!from.equals(incarnation)) {
                dropped++;
                LOG.log(Level.WARNING, "another member calls itself " + node + " in fleet " + config.name()
                        + ": its snapshots are ignored here; give each member its own --node");
            }
            return;
        }
        Peer peer = peers.computeIfAbsent(node, Peer::new);
        if (from.equals(peer.incarnation) && seq.longValue() <= peer.sequence) {
            dropped++; // older than what this node already showed
            return;
        }
        peer.incarnation = from;
        peer.sequence = seq.longValue();
        peer.member = message.getString("member");
        peer.recorders = recorders;
        peer.lastSeenMillis = now();
        if (!peer.reachable) {
            LOG.log(Level.INFO, "fleet node " + node + " is reachable");
        }
        peer.reachable = true;
    }

    private void memberLeft(String member) {
        for (Peer peer : peers.values()) {
            if (member.equals(peer.member) && peer.reachable) {
                peer.reachable = false;
                LOG.log(Level.INFO, "fleet node " + peer.node + " left the cluster");
            }
        }
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
        long lastSeenMillis;
        boolean reachable;
        JsonArray recorders = new JsonArray();

        Peer(String node) {
            this.node = node;
        }
    }
}
