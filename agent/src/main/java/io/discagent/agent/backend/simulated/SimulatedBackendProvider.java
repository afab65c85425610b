package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderBackendProvider;

/**
 * The simulated backend: the embedded default where no drive exists. Its {@code simulated.*} properties are
 * {@link SimulatedSettings}: how many virtual recorders it starts with (default 2), their discs, burn speed and the
 * directory of their disc images.
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
        SimulatedBackend backend = new SimulatedBackend(SimulatedSettings.from(config));
        backend.setHandOver(switch (handOver) {
            case "keep" -> Simulator.HandOver.KEEP_CLAIM;
            case "reacquire" -> Simulator.HandOver.RELEASE_AND_ACQUIRE;
            case "rename" -> Simulator.HandOver.RENAME_IN_PLACE;
            default -> throw new IllegalArgumentException("simulated.handOver must be keep, reacquire or rename: "
                    + handOver);
        });
        return backend;
    }
}
