package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderBackendProvider;
import java.util.Locale;

/**
 * The Linux backend: real optical drives ({@code /dev/sr*}) plus the block devices named in {@code linux.devices}.
 * Supported on Linux only; nothing native is loaded before {@link #create}.
 */
public final class LinuxBackendProvider implements RecorderBackendProvider {

    @Override
    public String name() {
        return LinuxBackend.NAME;
    }

    @Override
    public boolean isSupported() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    @Override
    public boolean isReal() {
        return true;
    }

    @Override
    public RecorderBackend create(BackendConfig config) {
        return new LinuxBackend(config);
    }
}
