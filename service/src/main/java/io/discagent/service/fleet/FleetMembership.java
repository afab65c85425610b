package io.discagent.service.fleet;

import io.discagent.agent.DiscAgent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * Whether this service is in a fleet, and its {@link FleetNode} once it has joined. The service is ready before the
 * fleet is joined (its local clients never wait for the cluster); joining runs in the background.
 */
public final class FleetMembership {

    private static final System.Logger LOG = System.getLogger(FleetMembership.class.getName());

    private final @Nullable FleetConfig config;
    private volatile @Nullable FleetNode node;
    private volatile @Nullable String problem;
    private volatile boolean left;
    private final java.util.concurrent.@Nullable CompletableFuture<FleetNode> joining;

    private FleetMembership(@Nullable FleetConfig config, @Nullable DiscAgent agent, @Nullable Scheduler time) {
        this.config = config;
        if (config == null || agent == null || time == null) {
            this.joining = null;
            return;
        }
        this.problem = "joining fleet " + config.name() + " as " + config.node();
        LOG.log(Level.INFO, "joining fleet " + config.name() + " as node " + config.node() + " on " + config.host()
                + ":" + config.port() + " (members: " + config.members() + ")");
        this.joining = FleetNode.join(config, agent, time).toFuture();
        joining.whenComplete((joined, error) -> {
            if (left) {
                return;
            }
            if (joined != null) {
                node = joined;
                problem = null;
                LOG.log(Level.INFO, "joined fleet " + config.name() + " as node " + config.node());
            } else {
                problem = "joining fleet " + config.name() + " failed: " + error.getMessage();
                LOG.log(Level.ERROR, problem, error);
            }
        });
    }

    /** No fleet. */
    public static FleetMembership none() {
        return new FleetMembership(null, null, null);
    }

    /** Joins {@code config}'s fleet in the background with {@code agent}'s recorders. */
    public static FleetMembership join(FleetConfig config, DiscAgent agent, Scheduler time) {
        return new FleetMembership(config, agent, time);
    }

    /**
     * {@code next}, and when a lease of this service closes, the end of its remote holds: each owning node closes the
     * session it kept for it.
     */
    public io.discagent.service.session.LeaseRegistry.Listener closingRemoteHolds(
            io.discagent.service.session.LeaseRegistry.Listener next) {
        return new io.discagent.service.session.LeaseRegistry.Listener() {
            @Override
            public void opened(io.discagent.service.session.Lease lease) {
                next.opened(lease);
            }

            @Override
            public void closed(io.discagent.service.session.Lease lease,
                    io.discagent.service.session.CloseCause cause) {
                next.closed(lease, cause);
                FleetNode joined = node;
                if (joined != null) {
                    joined.closeRemote(lease.id()).subscribe(v -> { }, e -> LOG.log(Level.DEBUG,
                            "closing the remote holds of " + lease.id() + " failed: " + e.getMessage()));
                }
            }
        };
    }

    /** Whether the service was configured to be in a fleet. */
    public boolean configured() {
        return config != null;
    }

    /** The node, once the fleet is joined. */
    public Optional<FleetNode> node() {
        return Optional.ofNullable(node);
    }

    /** Why there is no node (yet): joining, or the join's failure; null once joined or when not configured. */
    public @Nullable String problem() {
        return problem;
    }

    /**
     * Leaves the fleet: waits for a join under way to end, then for the cluster member to shut down (up to
     * {@code timeout} in all).
     */
    public void leave(Duration timeout) {
        if (joining == null) {
            return;
        }
        left = true;
        node = null;
        problem = "left the fleet";
        try {
            joining.thenCompose(FleetNode::leave)
                    .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.log(Level.DEBUG, "the fleet was never joined: " + e.getCause());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "leaving the fleet did not finish cleanly", e);
        }
    }
}
