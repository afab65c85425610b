package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderBackendProvider;

/**
 * The simulated backend: the embedded default where no drive exists. Property {@code simulated.recorders} sets how
 * many virtual recorders it starts with (default 2).
 */
public final class SimulatedBackendProvider implements RecorderBackendProvider {

    @Override
    public String name() {
        return SimulatedBackend.NAME;
    }

    @Override
    public boolean isSupported() {
        return true;
    }

    @Override
    public boolean isReal() {
        return false;
    }

    @Override
    public RecorderBackend create(BackendConfig config) {
        String handOver = config.get("simulated.handOver", "keep");
        return new SimulatedBackend(config.getInt("simulated.recorders", 2), switch (handOver) {
            case "keep" -> Simulator.HandOver.KEEP_CLAIM;
            case "reacquire" -> Simulator.HandOver.RELEASE_AND_ACQUIRE;
            default -> throw new IllegalArgumentException("simulated.handOver must be keep or reacquire: "
                    + handOver);
        });
    }
}
