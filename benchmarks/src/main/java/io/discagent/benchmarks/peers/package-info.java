/**
 * What a Java user would pick instead of the agent for "exclusive access with a FIFO queue of waiters", measured side
 * by side with it in one run ({@link io.discagent.benchmarks.peers.PeerComparison}): reactor-pool (a pool of one),
 * Vert.x's local lock, and a fair {@link java.util.concurrent.Semaphore} as the floor.
 */
@NullMarked
package io.discagent.benchmarks.peers;

import org.jspecify.annotations.NullMarked;
