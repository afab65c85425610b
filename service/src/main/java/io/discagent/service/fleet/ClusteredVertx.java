package io.discagent.service.fleet;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The fleet's own clustered Vert.x, apart from the service's: the agent and the HTTP API never wait for the cluster,
 * so a node's drives keep working for its local clients while the cluster is down or partitioned.
 *
 * <p>Hazelcast is set up for a small, closed fleet: TCP/IP join with the configured members only (no multicast, no
 * cloud discovery, no phone-home), bound to the configured address only, members that miss heartbeats for
 * {@link #FAILURE_DETECTION_SECONDS} seconds removed, and a split cluster merged again within seconds once the
 * partition heals.
 */
final class ClusteredVertx {

    /** Hazelcast's INFO lines (every join attempt, every connection) stay out of the service's log. */
    private static final java.util.logging.Logger HAZELCAST_LOG = java.util.logging.Logger.getLogger("com.hazelcast");

    static {
        if (HAZELCAST_LOG.getLevel() == null) {
            HAZELCAST_LOG.setLevel(java.util.logging.Level.WARNING);
        }
    }

    /** Hazelcast removes a member it has not heard from for this long (its heartbeat is every second). */
    static final int FAILURE_DETECTION_SECONDS = 5;

    private ClusteredVertx() {
    }

    /** A started clustered Vert.x and its cluster manager (which tells when members leave). */
    record Started(Vertx vertx, HazelcastClusterManager cluster) {
    }

    /** Starts a clustered Vert.x for {@code config}; fails when Hazelcast or the event bus cannot bind. */
    static Future<Started> start(FleetConfig config, FleetSeal seal) {
        HazelcastClusterManager cluster = new HazelcastClusterManager(hazelcast(config, seal));
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(2)
                .setInternalBlockingPoolSize(2)
                .setEventBusOptions(new EventBusOptions().setHost(config.host()).setPort(0)
                        .setClusterPublicHost(config.host()));
        return Vertx.builder().with(options).withClusterManager(cluster).buildClustered()
                .map(vertx -> new Started(vertx, cluster));
    }

    private static Config hazelcast(FleetConfig config, FleetSeal seal) {
        Config hz = ConfigUtil.loadConfig(); // Vert.x's maps and multimaps for its event bus
        hz.setClusterName(seal.clusterName());
        hz.setInstanceName("discagent-" + config.name() + "-" + config.node() + "-" + System.nanoTime());
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "jdk");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        hz.setProperty("hazelcast.socket.bind.any", "false");
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(FAILURE_DETECTION_SECONDS));
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        hz.setProperty("hazelcast.graceful.shutdown.max.wait", "5");
        NetworkConfig network = hz.getNetworkConfig();
        network.setPort(config.port()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).clear().addInterface(config.host());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> members = new ArrayList<>(config.members());
        members.add(config.host() + ":" + config.port());
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(members);
        return hz;
    }
}
