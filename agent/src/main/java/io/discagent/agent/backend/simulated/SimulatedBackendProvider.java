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
        return new SimulatedBackend(SimulatedSettings.from(config));
    }
}
