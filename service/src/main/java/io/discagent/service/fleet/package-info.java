/**
 * The fleet ({@code serve --cluster}): this service's membership of a cluster of services on Vert.x's clustered event
 * bus (Hazelcast), on a Vert.x instance of its own so that the local agent never depends on the cluster; the sealed
 * snapshots the nodes publish and the fleet view built from them (docs/fleet.md).
 */
@NullMarked
package io.discagent.service.fleet;

import org.jspecify.annotations.NullMarked;
