package io.discagent.service.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How this service joins a fleet ({@code discagent serve --cluster NAME}); built and checked by
 * {@link io.discagent.service.ServiceConfig}.
 *
 * @param name the fleet's name: members of one fleet share it and its secret
 * @param node this node's name in the fleet (recorders are named {@code node/recorder} there)
 * @param host the address the cluster's ports bind to (Hazelcast and the event bus), loopback unless allowed
 * @param port Hazelcast's member port (the event bus takes any free port on {@code host})
 * @param members the other members to join, {@code host:port} each (TCP/IP join; multicast is never used)
 * @param secret the fleet's shared secret: it seals every message and derives the cluster name
 * @param heartbeat how often this node publishes its recorders even when nothing changed
 * @param staleAfter how long a node may stay silent before its recorders are shown unreachable
 */
public record FleetConfig(String name, String node, String host, int port, List<String> members, byte[] secret,
        Duration heartbeat, Duration staleAfter) {

    public FleetConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        io.discagent.api.error.InvalidArgumentException.require(!node.isBlank()
                && node.indexOf(FleetRecorders.SEPARATOR) < 0, "a fleet node name is not blank and has no '"
                + FleetRecorders.SEPARATOR + "' (recorders are named node" + FleetRecorders.SEPARATOR + "id): '" + node
                + "'");
        Objects.requireNonNull(host, "host");
        members = List.copyOf(members);
        secret = secret.clone();
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(staleAfter, "staleAfter");
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "FleetConfig[name=" + name + ", node=" + node + ", host=" + host + ", port=" + port + ", members="
                + members + ", heartbeat=" + heartbeat + ", staleAfter=" + staleAfter + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FleetConfig f && name.equals(f.name) && node.equals(f.node) && host.equals(f.host)
                && port == f.port && members.equals(f.members) && java.util.Arrays.equals(secret, f.secret)
                && heartbeat.equals(f.heartbeat) && staleAfter.equals(f.staleAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, node, host, port, members, heartbeat, staleAfter);
    }
}
