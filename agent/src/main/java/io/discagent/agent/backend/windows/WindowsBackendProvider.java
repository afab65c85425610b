package io.discagent.agent.backend.windows;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderBackendProvider;
import java.util.Locale;

/**
 * The Windows backend (IMAPI2). Supported only where {@code os.name} starts with "Windows"; nothing of JNA or COM is
 * loaded before {@link #create} (this class refers to the binding only inside that method). Properties:
 * {@code windows.deviceEvents}, {@code windows.pollDevicesMillis}, {@code windows.pumpIntervalMillis} (see
 * {@link WindowsSettings}).
 */
public final class WindowsBackendProvider implements RecorderBackendProvider {

    @Override
    public String name() {
        return WindowsBackend.NAME;
    }

    /** Whether this is Windows, from {@code os.name} alone. */
    @Override
    public boolean isSupported() {
        return isWindows(System.getProperty("os.name", ""));
    }

    static boolean isWindows(String osName) {
        return osName.toLowerCase(Locale.ROOT).startsWith("windows");
    }

    @Override
    public boolean isReal() {
        return true;
    }

    @Override
    public RecorderBackend create(BackendConfig config) {
        WindowsSettings settings = WindowsSettings.from(config);
        if (!isSupported()) {
            throw new IllegalStateException("the windows backend cannot run on " + System.getProperty("os.name"));
        }
        return new WindowsBackend(new JnaImapi2(ComLibraries.system()), settings, System::nanoTime);
    }
}
