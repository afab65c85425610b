package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.sun.jna.Native;
import com.sun.jna.platform.win32.COM.COMException;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.internal.BackendSelector;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackendProvider;
import io.discagent.api.error.HResult;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The provider: found by ServiceLoader, supported on Windows only, and inert elsewhere. */
class WindowsBackendProviderTests {

    static final boolean WINDOWS = System.getProperty("os.name").startsWith("Windows");

    @Test
    void itIsTheRealWindowsBackend() {
        WindowsBackendProvider provider = new WindowsBackendProvider();
        assertThat(provider.name()).isEqualTo("windows");
        assertThat(provider.isReal()).isTrue();
        assertThat(provider.isSupported()).isEqualTo(WINDOWS);
    }

    @ParameterizedTest
    @CsvSource({"Windows 11, true", "Windows Server 2022, true", "windows 10, true", "Linux, false",
            "Mac OS X, false", "FreeBSD, false", "'', false"})
    void supportIsDecidedFromTheOperatingSystemName(String osName, boolean windows) {
        assertThat(WindowsBackendProvider.isWindows(osName)).isEqualTo(windows);
    }

    @Test
    void serviceLoaderFindsItNextToTheSimulatedBackend() {
        assertThat(BackendSelector.providers()).extracting(RecorderBackendProvider::name)
                .contains("simulated", "windows");
    }

    @Test
    void elsewhereAutoSkipsIt_andAskingForItByNameFails() {
        assumeFalse(WINDOWS, "this machine is Windows");
        assertThat(BackendSelector.candidates("auto", BackendConfig.EMPTY))
                .extracting(BackendSelector.Candidate::name).doesNotContain("windows").contains("simulated");
        assertThatThrownBy(() -> BackendSelector.candidates("windows", BackendConfig.EMPTY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot run on this machine");
        assertThatThrownBy(() -> DiscAgent.start(AgentOptions.builder().backend("windows").build()).block())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WindowsBackendProvider().create(BackendConfig.EMPTY))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void askingTheProviderLoadsNoJnaAndNoCom() throws Exception {
        try (RecordingLoader loader = new RecordingLoader()) {
            Class<?> spi = loader.loadClass(RecorderBackendProvider.class.getName());
            List<String> supported = new ArrayList<>();
            for (Iterator<?> it = ServiceLoader.load(spi, loader).iterator(); it.hasNext(); ) {
                Object provider = it.next();
                Method name = spi.getMethod("name");
                Method isSupported = spi.getMethod("isSupported");
                Method isReal = spi.getMethod("isReal");
                supported.add(name.invoke(provider) + "=" + isSupported.invoke(provider) + "/" + isReal.invoke(provider));
            }
            assertThat(supported).contains("windows=" + WINDOWS + "/true", "simulated=true/false");
            assertThat(loader.loaded).contains(WindowsBackendProvider.class.getName());
            assertThat(loader.loaded).noneMatch(n -> n.startsWith("com.sun.jna."));
            assertThat(loader.loaded).doesNotContain(WindowsBackend.class.getName(), JnaImapi2.class.getName(),
                    ComEventSink.class.getName(), ComErrors.class.getName());
        }
    }

    @Test
    void settingsHaveDefaultsAndRefuseNonsense() {
        WindowsSettings defaults = WindowsSettings.from(BackendConfig.EMPTY);
        assertThat(defaults).isEqualTo(WindowsSettings.DEFAULTS);
        assertThat(defaults.deviceEvents()).isTrue();
        assertThat(defaults.pollDevices()).isEqualTo(Duration.ofSeconds(30)); // the safety net, while events are on
        assertThat(defaults.pumpInterval()).isEqualTo(Duration.ofSeconds(1)); // calls and messages wake it earlier
        assertThat(defaults.pollWithoutEvents()).isEqualTo(WindowsSettings.FALLBACK_POLL);
        assertThat(new WindowsSettings(true, Duration.ZERO, Duration.ofSeconds(1)).pollWithoutEvents())
                .isEqualTo(WindowsSettings.FALLBACK_POLL);
        assertThat(new WindowsSettings(true, Duration.ofMillis(500), Duration.ofSeconds(1)).pollWithoutEvents())
                .isEqualTo(Duration.ofMillis(500));

        WindowsSettings custom = WindowsSettings.from(new BackendConfig(Map.of("windows.deviceEvents", "FALSE",
                "windows.pollDevicesMillis", "2500", "windows.pumpIntervalMillis", "5")));
        assertThat(custom).isEqualTo(new WindowsSettings(false, Duration.ofMillis(2500), Duration.ofMillis(5)));

        assertThatThrownBy(() -> WindowsSettings.from(new BackendConfig(Map.of("windows.deviceEvents", "yes"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("windows.deviceEvents");
        assertThatThrownBy(() -> WindowsSettings.from(new BackendConfig(Map.of("windows.pollDevicesMillis", "-1"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WindowsSettings.from(new BackendConfig(Map.of("windows.pumpIntervalMillis", "0"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCodesTheBackendReportsHaveTheirNames() {
        assertThat(HResult.of(ComCodes.RPC_E_CHANGED_MODE).name()).isEqualTo("RPC_E_CHANGED_MODE");
        assertThat(HResult.of(ComCodes.CO_E_NOTINITIALIZED).name()).isEqualTo("CO_E_NOTINITIALIZED");
        assertThat(HResult.of(ComCodes.RPC_E_WRONG_THREAD).name()).isEqualTo("RPC_E_WRONG_THREAD");
    }

    /**
     * Loads discagent's and JNA's classes itself (child first) from where this test's copies came from, and
     * records their names, so a test can see which ones a call needed.
     */
    static final class RecordingLoader extends URLClassLoader {
        final List<String> loaded = new CopyOnWriteArrayList<>();

        RecordingLoader() {
            super(new URL[] {location(WindowsBackendProvider.class), location(HResult.class),
                    location(Native.class), location(COMException.class)},
                    WindowsBackendProviderTests.class.getClassLoader().getParent());
        }

        private static URL location(Class<?> type) {
            return type.getProtectionDomain().getCodeSource().getLocation();
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> found = findLoadedClass(name);
                if (found == null && (name.startsWith("io.discagent.") || name.startsWith("com.sun.jna."))) {
                    found = findClass(name);
                    loaded.add(name);
                }
                if (found == null) {
                    return super.loadClass(name, resolve);
                }
                if (resolve) {
                    resolveClass(found);
                }
                return found;
            }
        }
    }
}
