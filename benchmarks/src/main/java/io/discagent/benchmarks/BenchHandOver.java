package io.discagent.benchmarks;

import io.discagent.agent.backend.simulated.Simulator;

/**
 * How the benchmarks' simulated recorder passes the lock from one session to the next: in place, as the Linux
 * backend does by default (its holder's name changes on the event loop, no native call), or with
 * {@code -Dbench.handOver=keep} through a call on the recorder's worker (the claim kept, its owner renamed there).
 */
public final class BenchHandOver {

    private BenchHandOver() {
    }

    /** The hand-over the run measures: {@code -Dbench.handOver=keep}, or in place. */
    public static Simulator.HandOver fromProperty() {
        return "keep".equals(System.getProperty("bench.handOver")) ? Simulator.HandOver.KEEP_CLAIM
                : Simulator.HandOver.RENAME_IN_PLACE;
    }
}
